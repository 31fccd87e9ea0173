// The k-th largest value of an array in expected O(n) (quickselect on a copy), so top-k never
// sorts the whole vocabulary.

export function kthLargest(values: Float32Array, k: number): number {
  const a = values.slice();
  let lo = 0;
  let hi = a.length - 1;
  const target = k - 1; // index of the k-th largest in descending order
  while (lo < hi) {
    const pivot = a[(lo + hi) >> 1] as number;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while ((a[i] as number) > pivot) i++;
      while ((a[j] as number) < pivot) j--;
      if (i <= j) {
        const t = a[i] as number;
        a[i++] = a[j] as number;
        a[j--] = t;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else break;
  }
  return a[target] as number;
}
