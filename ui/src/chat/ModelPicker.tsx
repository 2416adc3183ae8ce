/** The composer's model picker: which model answers in this thread. */
export function ModelPicker({
  models,
  value,
  disabled,
  onChange,
}: {
  models: string[];
  value: string;
  disabled?: boolean;
  onChange: (model: string) => void;
}) {
  return (
    <select
      name="model"
      className="model-picker"
      aria-label="Model"
      title="The model that answers in this chat"
      value={value}
      disabled={disabled}
      onChange={(event) => {
        onChange(event.target.value);
      }}
    >
      {models.map((model) => (
        <option key={model} value={model}>
          {model}
        </option>
      ))}
    </select>
  );
}
