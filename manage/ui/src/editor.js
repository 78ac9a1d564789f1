// The template editor: CodeMirror 6 with line numbers, HTML highlighting,
// search (Ctrl-F), undo history and error markers at a line.
import { EditorView, keymap, lineNumbers, highlightActiveLine, highlightActiveLineGutter, drawSelection } from '@codemirror/view';
import { EditorState } from '@codemirror/state';
import { defaultKeymap, history, historyKeymap } from '@codemirror/commands';
import { searchKeymap, highlightSelectionMatches, search } from '@codemirror/search';
import { html } from '@codemirror/lang-html';
import { syntaxHighlighting, defaultHighlightStyle, bracketMatching } from '@codemirror/language';
import { setDiagnostics, lintGutter } from '@codemirror/lint';

/** createEditor(parent, source, {onChange, keys}) returns an editor with
 * value(), setValue(s), markError(line, column, message), clearErrors(),
 * focus(). keys: extra CodeMirror key bindings ({key: 'Mod-s', run}). */
export function createEditor(parent, source, { onChange = () => {}, keys = [] } = {}) {
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc: source,
      extensions: [
        lineNumbers(), highlightActiveLineGutter(), highlightActiveLine(), drawSelection(), history(),
        bracketMatching(), highlightSelectionMatches(), search({ top: true }), lintGutter(),
        EditorView.lineWrapping, html(), syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
        keymap.of([...keys, ...searchKeymap, ...historyKeymap, ...defaultKeymap]),
        EditorView.updateListener.of((u) => { if (u.docChanged) onChange(); }),
        EditorView.contentAttributes.of({ 'aria-label': 'Template source' }),
      ],
    }),
  });
  return {
    view,
    value: () => view.state.doc.toString(),
    setValue(s) {
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: s } });
    },
    markError(line, column, message) {
      const doc = view.state.doc;
      const l = doc.line(Math.min(Math.max(1, line || 1), doc.lines));
      const from = Math.min(l.from + Math.max(0, (column || 1) - 1), l.to);
      view.dispatch(setDiagnostics(view.state, [{ from, to: l.to > from ? l.to : from, severity: 'error', message }]));
      view.dispatch({ effects: EditorView.scrollIntoView(from, { y: 'center' }) });
    },
    clearErrors() {
      view.dispatch(setDiagnostics(view.state, []));
    },
    focus: () => view.focus(),
  };
}
