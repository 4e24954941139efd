// jsdom has no canvas, and the scaffold's setup stubs getContext() as returning nothing; Grafana's
// MultiCombobox sizes its input with a 2D context's measureText(). A fixed width per character
// is enough for rendering in tests.
HTMLCanvasElement.prototype.getContext = () => ({
  font: '',
  measureText: (text) => ({ width: String(text).length * 7 }),
});
