/** Whether a process with this pid exists (signal 0 only probes): the tests that stop nodes check none is left. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
