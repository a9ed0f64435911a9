using ThrottleCluster.Runtime.Storage;

namespace ThrottleCluster.Runtime.Tests;

/// <summary>Counts reads and writes, and can hold writes back until released.</summary>
public sealed class CountingGrainStorage(IGrainStorage inner) : IGrainStorage
{
    private int _reads;
    private int _writes;
    private TaskCompletionSource? _gate;

    public int Reads => Volatile.Read(ref _reads);
    public int Writes => Volatile.Read(ref _writes);

    /// <summary>Writes wait from now until <see cref="OpenGate"/>.</summary>
    public void CloseGate() => _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void OpenGate() => _gate?.TrySetResult();

    public ValueTask<StoredState> ReadAsync(string key, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _reads);
        return inner.ReadAsync(key, cancellationToken);
    }

    public async ValueTask<WriteOutcome> WriteAsync(StateWrite write, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _writes);
        if (_gate is { } gate) await gate.Task;
        return await inner.WriteAsync(write, cancellationToken);
    }
}
