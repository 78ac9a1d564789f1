// A line diff (longest common subsequence after trimming the common start
// and end) for comparing two template versions.

/** diffLines(a, b) returns [{op: ' ' | '-' | '+', text}] turning a into b. */
export function diffLines(a, b) {
  const x = a.split('\n'), y = b.split('\n');
  let pre = 0;
  while (pre < x.length && pre < y.length && x[pre] === y[pre]) pre++;
  let suf = 0;
  while (suf < x.length - pre && suf < y.length - pre && x[x.length - 1 - suf] === y[y.length - 1 - suf]) suf++;
  const xs = x.slice(pre, x.length - suf), ys = y.slice(pre, y.length - suf);
  const n = xs.length, m = ys.length;
  const out = x.slice(0, pre).map((text) => ({ op: ' ', text }));
  if (n * m > 4e6) {
    // Too big to align line by line: show the middle as replaced.
    xs.forEach((text) => out.push({ op: '-', text }));
    ys.forEach((text) => out.push({ op: '+', text }));
  } else {
    const L = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
    for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) {
      L[i][j] = xs[i] === ys[j] ? L[i + 1][j + 1] + 1 : Math.max(L[i + 1][j], L[i][j + 1]);
    }
    let i = 0, j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && xs[i] === ys[j]) { out.push({ op: ' ', text: xs[i] }); i++; j++; }
      // Removed lines before added ones, as diffs read.
      else if (i < n && (j >= m || L[i + 1][j] >= L[i][j + 1])) { out.push({ op: '-', text: xs[i] }); i++; }
      else { out.push({ op: '+', text: ys[j] }); j++; }
    }
  }
  x.slice(x.length - suf).forEach((text) => out.push({ op: ' ', text }));
  return out;
}

/** hunks(diff, context) keeps changed lines and `context` lines around
 * them; gaps become {op: '@', text: '… n unchanged lines'}. */
export function hunks(diff, context = 3) {
  const keep = diff.map(() => false);
  diff.forEach((d, i) => {
    if (d.op !== ' ') for (let k = Math.max(0, i - context); k <= Math.min(diff.length - 1, i + context); k++) keep[k] = true;
  });
  const out = [];
  let gap = 0;
  diff.forEach((d, i) => {
    if (keep[i]) {
      if (gap) out.push({ op: '@', text: `… ${gap} unchanged line${gap > 1 ? 's' : ''}` });
      gap = 0;
      out.push(d);
    } else gap++;
  });
  if (gap) out.push({ op: '@', text: `… ${gap} unchanged line${gap > 1 ? 's' : ''}` });
  return out;
}
