import type { Widgets } from "@openai/chatkit";

type Control =
  | Widgets.Input
  | Widgets.Textarea
  | Widgets.Select
  | Widgets.Checkbox
  | Widgets.DatePicker
  | Widgets.RadioGroup
  | Widgets.Label;

const CONTROLS = new Set(["Input", "Textarea", "Select", "Checkbox", "DatePicker", "RadioGroup", "Label"]);

export function isFormControl(node: { type: string }): node is Control {
  return CONTROLS.has(node.type);
}

const str = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);

/**
 * A widget's form fields as native controls. Their values travel with the enclosing Form
 * or Card's submit action; change actions are not sent (no server here uses them).
 */
export function FormControl({ node }: { node: Control }) {
  const name = str((node as { name?: unknown }).name);
  const disabled = (node as { disabled?: unknown }).disabled === true;
  switch (node.type) {
    case "Input":
      return (
        <input className="widget-input" name={name} type={str(node.inputType) ?? "text"} defaultValue={str(node.defaultValue)}
          placeholder={str(node.placeholder)} required={node.required === true} disabled={disabled}
          aria-label={str(node.placeholder) ?? name} />
      );
    case "Textarea":
      return (
        <textarea className="widget-input" name={name} defaultValue={str(node.defaultValue)} placeholder={str(node.placeholder)}
          rows={typeof node.rows === "number" ? node.rows : 3} required={node.required === true} disabled={disabled}
          aria-label={str(node.placeholder) ?? name} />
      );
    case "Select":
      return (
        <select className="widget-input" name={name} defaultValue={str(node.defaultValue) ?? ""} disabled={disabled}
          aria-label={str(node.placeholder) ?? name}>
          {node.placeholder && <option value="" disabled>{str(node.placeholder)}</option>}
          {(Array.isArray(node.options) ? node.options : []).map((option) => (
            <option key={str(option.value)} value={str(option.value)}>{str(option.label)}</option>
          ))}
        </select>
      );
    case "Checkbox":
      return (
        <label className="widget-check">
          <input type="checkbox" name={name} value="true" defaultChecked={node.defaultChecked === true} disabled={disabled} />
          {str(node.label)}
        </label>
      );
    case "DatePicker":
      return (
        <input className="widget-input" type="date" name={name} defaultValue={str(node.defaultValue)?.slice(0, 10)}
          disabled={disabled} aria-label={str(node.placeholder) ?? name} />
      );
    case "RadioGroup":
      return (
        <fieldset className={`widget-radios widget-${node.direction === "row" ? "row" : "col"}`} aria-label={str(node.ariaLabel) ?? name}>
          {(Array.isArray(node.options) ? node.options : []).map((option) => (
            <label key={str(option.value)} className="widget-check">
              <input type="radio" name={name} value={str(option.value)} defaultChecked={option.value === node.defaultValue}
                disabled={disabled || option.disabled === true} />
              {str(option.label)}
            </label>
          ))}
        </fieldset>
      );
    case "Label":
      return <span className="widget-label">{str(node.value)}</span>;
  }
}
