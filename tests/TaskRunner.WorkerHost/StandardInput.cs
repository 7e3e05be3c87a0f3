namespace TaskRunner.WorkerHost;

/// <summary>Reads commands from stdin on a background thread. Stdin closing (the test closed it, or died) means stop.</summary>
internal sealed class StandardInput
{
    private readonly CancellationTokenSource _closed = new();
    private readonly List<(string Line, TaskCompletionSource Seen)> _waiters = [];
    private readonly HashSet<string> _lines = new(StringComparer.Ordinal);

    public StandardInput()
    {
        var reader = new Thread(Read) { IsBackground = true, Name = "stdin" };
        reader.Start();
    }

    public CancellationToken Closed => _closed.Token;

    public Task WaitForCloseAsync() => Task.Delay(Timeout.Infinite, Closed).ContinueWith(_ => { }, TaskScheduler.Default);

    public Task WaitForLineAsync(string line)
    {
        lock (_waiters)
        {
            if (_lines.Contains(line))
            {
                return Task.CompletedTask;
            }

            var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((line, seen));
            return seen.Task;
        }
    }

    private void Read()
    {
        while (Console.In.ReadLine() is { } line)
        {
            lock (_waiters)
            {
                _lines.Add(line);
                foreach (var waiter in _waiters.Where(w => w.Line == line))
                {
                    waiter.Seen.TrySetResult();
                }
            }
        }

        lock (_waiters)
        {
            foreach (var waiter in _waiters)
            {
                waiter.Seen.TrySetCanceled();
            }
        }

        _closed.Cancel();
    }
}
