using System.Collections.Concurrent;
using ThrottleCluster.Runtime.Storage;

namespace ThrottleCluster.Runtime;

/// <summary>
/// A silo's activations: finds or creates the activation for a grain id, routes calls to its
/// mailbox, and drops activations that are idle or over the bound. Any silo may serve any grain:
/// storage's compare-and-set, not placement, is what keeps state exact.
/// </summary>
public sealed class GrainRuntime : IGrainClient, IAsyncDisposable
{
    private readonly GrainCatalog _catalog;
    private readonly RuntimeContext _context;
    private readonly ConcurrentDictionary<GrainId, IActivation> _activations = new();
    private readonly ActivationAdmission? _admission;
    private readonly ITimer _collector;
    private int _collecting;
    private int _activationCount;
    private volatile bool _aborted;

    public GrainRuntime(GrainCatalog catalog, IGrainStorage storage, GrainRuntimeOptions? options = null, TimeProvider? time = null)
    {
        options ??= new GrainRuntimeOptions();
        options.Validate();
        time ??= TimeProvider.System;
        _catalog = catalog;
        Metrics = new GrainRuntimeMetrics(() => ActivationCount);
        _context = new RuntimeContext(storage, time, options, Metrics, activation => TryRemove(activation.Id, activation));
        _admission = options.AdmitOnFirstCall ? null : new ActivationAdmission(options.MaxActivations);
        var period = TimeSpan.FromTicks(Math.Min(options.IdleTimeout.Ticks / 2, TimeSpan.FromMinutes(1).Ticks));
        _collector = time.CreateTimer(_ => CollectIdle(), null, period, period);
    }

    public GrainCatalog Catalog => _catalog;

    public GrainRuntimeMetrics Metrics { get; }

    public int ActivationCount => Volatile.Read(ref _activationCount);

    public Task<TResult> CallAsync<TCommand, TResult>(GrainId id, TCommand command, CancellationToken cancellationToken = default)
    {
        var call = CallAsync<TCommand, TResult>(id, command, callId: null, isRetry: false);
        return cancellationToken.CanBeCanceled ? call.WaitAsync(cancellationToken) : call;
    }

    /// <param name="callId">Identifies the call across retries; its answer is kept with the state.</param>
    /// <param name="isRetry">The same call may already have been applied: look for its answer first.</param>
    public Task<TResult> CallAsync<TCommand, TResult>(GrainId id, TCommand command, string? callId, bool isRetry)
    {
        if (_aborted) return Task.FromException<TResult>(new GrainCallException("The silo is stopped.", mayHaveBeenApplied: false));
        return _catalog.Get<TCommand, TResult>(id.Kind).Enqueue(this, id, command, callId, isRetry);
    }

    /// <summary>Entry point for calls that arrive as JSON over the wire.</summary>
    public Task<byte[]> CallJsonAsync(GrainId id, ReadOnlyMemory<byte> command, string? callId, bool isRetry)
    {
        if (_aborted) return Task.FromException<byte[]>(new GrainCallException("The silo is stopped.", mayHaveBeenApplied: false));
        return _catalog.Get(id.Kind).CallJsonAsync(this, id, command, callId, isRetry);
    }

    /// <summary>A grain's state as stored now, read past any cache; nothing is activated or written.</summary>
    public async Task<GrainSnapshot> InspectAsync(GrainId id, CancellationToken cancellationToken = default)
    {
        var kind = _catalog.Get(id.Kind);
        var stored = await _context.Storage.ReadAsync(id.ToString(), cancellationToken).ConfigureAwait(false);
        return new GrainSnapshot(id.ToString(), stored.Version, stored.State.Length, stored.Exists ? kind.DeserializeState(stored.State) : null);
    }

    /// <summary>Drops idle activations, then the least recently used ones while over the bound.</summary>
    public int CollectIdle()
    {
        if (Interlocked.Exchange(ref _collecting, 1) == 1) return 0;
        try
        {
            var removed = 0;
            var idleBefore = _context.Time.GetTimestamp() - (long)(_context.Options.IdleTimeout.TotalSeconds * _context.Time.TimestampFrequency);
            foreach (var (id, activation) in _activations)
            {
                if (activation.LastUsedTimestamp <= idleBefore && TryRemove(id, activation)) removed++;
            }
            var excess = ActivationCount - _context.Options.MaxActivations;
            // A tenth more than needed, so a silo at the bound does not collect on every new grain.
            if (excess > 0) removed += EvictLeastRecentlyUsed(excess + _context.Options.MaxActivations / 10);
            return removed;
        }
        finally
        {
            Volatile.Write(ref _collecting, 0);
        }
    }

    /// <summary>
    /// Evicts about <paramref name="count"/> activations, the least recently used, found by a
    /// cut-off taken from a sample of last-use times and one more pass. Sorting them all (after
    /// <c>ConcurrentDictionary.Values</c> copied them out under every bucket lock) stalled every
    /// caller activating a grain for as long as it took, each time the bound was crossed.
    /// </summary>
    private int EvictLeastRecentlyUsed(int count)
    {
        var removed = 0;
        // A sampled cut-off can fall short of the count; another pass with a fresh one takes the rest.
        for (var pass = 0; pass < 3 && removed < count; pass++)
        {
            var evicted = EvictOlderThanSampledCutoff(count - removed);
            if (evicted == 0) break;
            removed += evicted;
        }
        return removed;
    }

    private int EvictOlderThanSampledCutoff(int count)
    {
        const int SampleSize = 1024;
        var total = Math.Max(1, ActivationCount);
        var every = Math.Max(1, total / SampleSize);
        var sample = new List<long>(SampleSize + 1);
        var seen = 0;
        foreach (var (_, activation) in _activations)
            if (seen++ % every == 0) sample.Add(activation.LastUsedTimestamp);
        if (sample.Count == 0) return 0;
        sample.Sort();
        var cutoff = sample[(int)Math.Clamp((long)sample.Count * count / total - 1, 0, sample.Count - 1)];
        var removed = 0;
        foreach (var (id, activation) in _activations)
        {
            if (removed >= count) break;
            if (activation.LastUsedTimestamp <= cutoff && TryRemove(id, activation)) removed++;
        }
        return removed;
    }

    /// <summary>Stops at once, as a crashed process would: queued calls fail, turns in flight stop before their next write.</summary>
    public void Abort()
    {
        _aborted = true;
        foreach (var (id, activation) in _activations)
        {
            activation.Abort();
            TryForget(id, activation);
        }
    }

    public ValueTask DisposeAsync()
    {
        Abort();
        Metrics.Dispose();
        return _collector.DisposeAsync();
    }

    internal Task<TResult> Enqueue<TState, TCommand, TResult>(GrainKind<TState, TCommand, TResult> kind, GrainId id, TCommand command, string? callId, bool isRetry)
    {
        var completion = new TaskCompletionSource<TResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        var call = new Activation<TState, TCommand, TResult>.PendingCall(command, callId, isRetry, completion);
        while (true)
        {
            if (!_activations.TryGetValue(id, out var found))
            {
                found = kind.Activate(id, _context, kept: _admission?.SeenBefore(id) ?? true);
                if (_activations.TryAdd(id, found)) OnActivated();
                else continue; // another caller activated it first
            }
            var activation = (Activation<TState, TCommand, TResult>)found;
            if (activation.TryEnqueue(call)) break;
            TryForget(id, activation); // collected between lookup and enqueue
        }
        return completion.Task;
    }

    private bool TryRemove(GrainId id, IActivation activation)
        => activation.TryDeactivateIfIdle() && TryForget(id, activation);

    private bool TryForget(GrainId id, IActivation activation)
    {
        if (!_activations.TryRemove(new(id, activation))) return false;
        Interlocked.Decrement(ref _activationCount);
        return true;
    }

    // ConcurrentDictionary.Count takes every bucket lock: far too slow to read per call.
    private void OnActivated()
    {
        if (Interlocked.Increment(ref _activationCount) > _context.Options.MaxActivations)
            ThreadPool.UnsafeQueueUserWorkItem(static r => r.CollectIdle(), this, preferLocal: false);
    }
}
