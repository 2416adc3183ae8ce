import { Markdown } from "./Markdown";
import type { ClientToolCallItem, GeneratedImageItem, TaskDetail, TaskItem, WorkflowItem } from "./protocol";
import { WidgetIcon } from "./widgets/WidgetIcon";

/** One tool run or step (a `task` item, or a task inside a workflow). */
export function TaskLine({ task }: { task: TaskDetail }) {
  const icon = task.type === "custom" && task.icon ? task.icon : task.type === "web_search" ? "search" : "dot";
  const title = task.title ?? (task.type === "thought" ? "Thought" : task.type === "web_search" ? "Searched the web" : "Step");
  const loading = task.status_indicator === "loading";
  const details = task.type === "custom" || task.type === "thought" ? task.content : null;
  return (
    <div className={`task-line${loading ? " loading" : ""}`} data-status={task.status_indicator ?? "none"}>
      <span className="task-line-icon">{loading ? <span className="mini-spinner" aria-hidden="true" /> : <WidgetIcon name={icon} size="sm" />}</span>
      <div className="task-line-body">
        <span className="task-line-title">{title}</span>
        {loading && <span className="visually-hidden"> (running)</span>}
        {task.type === "web_search" && task.queries && task.queries.length > 0 && (
          <span className="muted small"> {task.queries.join(", ")}</span>
        )}
        {details && (
          <details className="task-line-details">
            <summary>Details</summary>
            <Markdown text={details} />
          </details>
        )}
      </div>
    </div>
  );
}

export function TaskItemView({ item }: { item: TaskItem }) {
  return <TaskLine task={item.task} />;
}

export function WorkflowView({ item }: { item: WorkflowItem }) {
  const { workflow } = item;
  const summary = workflow.summary;
  const label =
    summary && "title" in summary
      ? summary.title
      : summary && "duration" in summary
        ? `Worked for ${summary.duration} s`
        : `${workflow.tasks.length} ${workflow.tasks.length === 1 ? "step" : "steps"}`;
  return (
    <details className="workflow" open={workflow.expanded === true}>
      <summary>{label}</summary>
      {workflow.tasks.map((task, index) => (
        <TaskLine key={index} task={task} />
      ))}
    </details>
  );
}

/** A tool the app runs for the assistant (hosted or backend agents). */
export function ClientToolCallView({ item }: { item: ClientToolCallItem }) {
  const pending = item.status === "pending";
  return (
    <div className="task-line" data-status={pending ? "loading" : "complete"}>
      <span className="task-line-icon">{pending ? <span className="mini-spinner" aria-hidden="true" /> : <WidgetIcon name="check" size="sm" />}</span>
      <div className="task-line-body">
        <span className="task-line-title">{pending ? `Running ${item.name}…` : `Ran ${item.name}`}</span>
        <details className="task-line-details">
          <summary>Arguments</summary>
          <pre>{JSON.stringify(item.arguments, null, 2)}</pre>
        </details>
      </div>
    </div>
  );
}

export function GeneratedImageView({ item }: { item: GeneratedImageItem }) {
  return (
    <p className="muted small">
      {item.image ? "An image was generated; ChatKit can show it." : "Generating an image…"}
    </p>
  );
}
