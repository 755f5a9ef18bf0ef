/** Returns the element with `id`, checking that it exists and has the expected type. */
export function byId<T extends HTMLElement>(id: string, type: new () => T): T {
  const element = document.getElementById(id);
  if (!(element instanceof type)) {
    throw new Error(`page element #${id} is missing or is not a ${type.name}; index.html and main.ts are out of step`);
  }
  return element;
}

/** Creates an element with a class and optional text, which is never parsed as HTML. */
export function element<K extends keyof HTMLElementTagNameMap>(tag: K, className: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}
