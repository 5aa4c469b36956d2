/** In-process mutex: tasks run one at a time, in call order; a failure does not block later tasks. */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task, task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

const queuesByPath = new Map<string, SerialQueue>();

/** One queue per file path, shared by every store of this process that writes that file. */
export function serialQueueFor(path: string): SerialQueue {
  let queue = queuesByPath.get(path);
  if (!queue) {
    queue = new SerialQueue();
    queuesByPath.set(path, queue);
  }
  return queue;
}
