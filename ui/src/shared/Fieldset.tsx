import type { ComponentProps } from "react";

/**
 * A fieldset that may sit in a flex column (a `.stack` form). WebKitGTK first sizes a flex item
 * that is a <fieldset> with a legend about one legend too tall and corrects it on a later layout,
 * so everything below jumped after Settings had painted; a plain box around it keeps the fieldset
 * out of the flex sizing.
 */
export function Fieldset(props: ComponentProps<"fieldset">) {
  return (
    <div>
      <fieldset {...props} />
    </div>
  );
}
