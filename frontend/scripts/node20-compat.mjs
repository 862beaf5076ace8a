// Vitest 5 calls a few built-ins that Node 20 lacks (it asks for Node 22).
// Preloaded into the test runner only; the app itself runs in the browser.
if (!Map.groupBy) {
  Map.groupBy = (items, key) => {
    const m = new Map();
    let i = 0;
    for (const it of items) {
      const k = key(it, i++);
      if (!m.has(k)) m.set(k, []);
      m.get(k).push(it);
    }
    return m;
  };
}
if (!Object.groupBy) {
  Object.groupBy = (items, key) => {
    const o = Object.create(null);
    let i = 0;
    for (const it of items) (o[key(it, i++)] ??= []).push(it);
    return o;
  };
}
if (!Promise.withResolvers) {
  Promise.withResolvers = function withResolvers() {
    let resolve;
    let reject;
    const promise = new this((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}
