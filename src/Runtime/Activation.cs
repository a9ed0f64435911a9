using ThrottleCluster.Runtime.Storage;

namespace ThrottleCluster.Runtime;

/// <summary>The runtime's view of an activation, whatever its grain type.</summary>
internal interface IActivation
{
    GrainId Id { get; }

    long LastUsedTimestamp { get; }

    /// <summary>Marks the activation dead if it has nothing queued or running; callers then make a new one.</summary>
    bool TryDeactivateIfIdle();

    /// <summary>Fails what is queued and stops further writes: the silo is going away without a goodbye.</summary>
    void Abort();
}

/// <summary>
/// One grain in memory. Calls queue in a mailbox; one turn at a time applies everything queued
/// (group commit) and persists the result with a single compare-and-set. Callers complete only
/// after that write is in the engine. The cached state is only a guess: a conflicting write
/// returns the winner's state, which is re-applied against without another read.
/// </summary>
/// <remarks>
/// A silo holds up to <see cref="GrainRuntimeOptions.MaxActivations"/> of these for minutes, and a
/// flood makes a new one per request, so every object one keeps alive is copied by the garbage
/// collector as it ages (those copies were the decision latency's tail). Hence the state is kept as
/// the bytes last written or read, not as a deserialized object graph; the lock is the activation
/// itself; and an idle mailbox is null. One not <paramref name="kept"/> (<see cref="ActivationAdmission"/>)
/// releases itself as soon as its mailbox is empty.
/// </remarks>
internal sealed class Activation<TState, TCommand, TResult>(
    GrainId id,
    GrainKind<TState, TCommand, TResult> kind,
    RuntimeContext context,
    bool kept) : IActivation
{
    private List<PendingCall>? _mailbox;
    private bool _turnRunning;
    private bool _deactivated;
    private volatile bool _aborted;

    // Touched only inside a turn, and turns never overlap. Version 0: no state, the initial one.
    private bool _loaded;
    private ReadOnlyMemory<byte> _state;
    private long _version;
    private int _contendedTurnsLeft;

    // How many turns after a conflict an activation keeps stepping aside after its writes.
    private const int ContendedTurns = 8;

    public GrainId Id => id;

    public long LastUsedTimestamp { get; private set; } = context.Time.GetTimestamp();

    /// <returns>False if the activation was collected meanwhile: the caller must look it up again.</returns>
    public bool TryEnqueue(PendingCall call)
    {
        lock (this)
        {
            if (_deactivated) return false;
            (_mailbox ??= []).Add(call);
            LastUsedTimestamp = context.Time.GetTimestamp();
            if (_turnRunning) return true;
            _turnRunning = true;
        }
        _ = RunTurnsAsync();
        return true;
    }

    public bool TryDeactivateIfIdle()
    {
        lock (this)
        {
            if (_turnRunning || _mailbox is { Count: > 0 }) return false;
            _deactivated = true;
            return true;
        }
    }

    public void Abort()
    {
        _aborted = true;
        List<PendingCall>? queued;
        lock (this)
        {
            _deactivated = true;
            queued = _mailbox;
            _mailbox = null;
        }
        foreach (var call in queued ?? []) call.Completion.TrySetException(SiloStopped(mayHaveBeenApplied: false));
    }

    private async Task RunTurnsAsync()
    {
        while (TakeBatch() is { } batch)
        {
            if (await RunTurnAsync(batch).ConfigureAwait(false)) _contendedTurnsLeft = ContendedTurns;
            else if (_contendedTurnsLeft > 0) _contendedTurnsLeft--;
            // Other silos are writing this grain too. The one that keeps winning steps aside for a
            // moment after each turn, so one that keeps losing gets its write in; calls that arrive
            // meanwhile join the next batch, so contention grows batches, not queues.
            if (_contendedTurnsLeft > 0) await Task.Delay(Random.Shared.Next(0, 2)).ConfigureAwait(false);
        }
        // A call that slipped in since keeps it alive: the turn it started releases it again.
        if (!kept) context.Release(this);
    }

    private List<PendingCall>? TakeBatch()
    {
        lock (this)
        {
            if (_mailbox is not { Count: > 0 } mailbox)
            {
                _turnRunning = false;
                return null;
            }
            return TakeFromMailbox(mailbox, context.Options.MaxBatchSize);
        }
    }

    // Caller holds the lock.
    private List<PendingCall> TakeFromMailbox(List<PendingCall> mailbox, int max)
    {
        if (mailbox.Count <= max)
        {
            _mailbox = null;
            return mailbox;
        }
        var some = mailbox.GetRange(0, max);
        mailbox.RemoveRange(0, max);
        return some;
    }

    /// <returns>Whether a write of the turn conflicted with another silo's.</returns>
    private async Task<bool> RunTurnAsync(List<PendingCall> batch)
    {
        // Made per turn rather than kept: one string less per idle activation.
        var storageKey = id.ToString();
        var conflicts = 0;
        var writeSent = false;
        try
        {
            while (batch.Count > 0)
            {
                if (_aborted)
                {
                    Fail(batch, SiloStopped(mayHaveBeenApplied: writeSent));
                    return conflicts > 0;
                }
                if (!_loaded) Load(await context.Storage.ReadAsync(storageKey).ConfigureAwait(false));

                var turn = Apply(storageKey, batch, context.Time.GetUtcNow());
                batch = turn.Accepted;
                if (batch.Count == 0) break;

                writeSent = true;
                var outcome = await context.Storage.WriteAsync(turn.Write).ConfigureAwait(false);
                context.Metrics.StorageWrite(kind.Type.Kind, batch.Count);
                switch (outcome.Status)
                {
                    case WriteStatus.Written:
                        _state = turn.Write.State;
                        _version = outcome.Current.Version;
                        for (var i = 0; i < batch.Count; i++) batch[i].Completion.TrySetResult(turn.Results[i]);
                        return conflicts > 0;
                    case WriteStatus.Conflict:
                        context.Metrics.Conflict(kind.Type.Kind);
                        Load(outcome.Current);
                        if (++conflicts >= context.Options.MaxWriteAttempts)
                        {
                            Fail(batch, new GrainConflictException(id, conflicts));
                            return conflicts > 0;
                        }
                        // The loser writes again at once: the conflict returned the state that won, the
                        // freshest there is (a pause here only let the others write on and made the loser
                        // lose again). Calls that arrived meanwhile ride along.
                        batch = JoinMailbox(batch);
                        break;
                    case WriteStatus.Duplicate:
                        batch = AnswerDuplicates(batch, outcome.Duplicates);
                        break;
                }
            }
        }
        catch (Exception ex)
        {
            // The write may or may not have landed: forget the cache so the next turn reads the truth.
            _loaded = false;
            Fail(batch, new GrainCallException($"Grain {id}: storage failed: {ex.Message}", mayHaveBeenApplied: writeSent, ex));
        }
        return conflicts > 0;
    }

    private Turn Apply(string storageKey, List<PendingCall> batch, DateTimeOffset now)
    {
        var type = kind.Type;
        var state = _version == 0 ? type.InitialState : type.Deserialize(_state);
        var accepted = new List<PendingCall>(batch.Count);
        var results = new List<TResult>(batch.Count);
        List<CallReceipt>? receipts = null;
        List<string>? checks = null;
        foreach (var call in batch)
        {
            TResult result;
            try
            {
                (state, result) = type.Apply(state, call.Command, now);
            }
            catch (Exception ex)
            {
                // A command the grain refuses fails alone; the rest of the batch goes on.
                call.Completion.TrySetException(ex);
                continue;
            }
            accepted.Add(call);
            results.Add(result);
            if (call.CallId is null) continue;
            (receipts ??= []).Add(new CallReceipt(call.CallId, kind.SerializeResult(result)));
            if (call.IsRetry) (checks ??= []).Add(call.CallId);
        }
        var ttl = type.TimeToLive(state, now);
        var bytes = ttl > TimeSpan.Zero ? type.Serialize(state) : [];
        var write = new StateWrite(storageKey, _version, bytes, ttl, receipts ?? (IReadOnlyList<CallReceipt>)[], checks ?? (IReadOnlyList<string>)[]);
        return new Turn(accepted, results, write);
    }

    private void Load(StoredState stored)
    {
        _state = stored.State;
        _version = stored.Version;
        _loaded = true;
    }

    private List<PendingCall> JoinMailbox(List<PendingCall> batch)
    {
        lock (this)
        {
            var room = context.Options.MaxBatchSize - batch.Count;
            if (room > 0 && _mailbox is { Count: > 0 } mailbox) batch.AddRange(TakeFromMailbox(mailbox, room));
        }
        return batch;
    }

    private List<PendingCall> AnswerDuplicates(List<PendingCall> batch, IReadOnlyList<CallReceipt> duplicates)
    {
        var remaining = new List<PendingCall>(batch.Count);
        foreach (var call in batch)
        {
            var receipt = duplicates.FirstOrDefault(r => r.CallId == call.CallId);
            if (receipt.CallId is null) remaining.Add(call);
            else call.Completion.TrySetResult(kind.DeserializeResult(receipt.Result));
        }
        return remaining;
    }

    private static void Fail(List<PendingCall> batch, Exception error)
    {
        foreach (var call in batch) call.Completion.TrySetException(error);
    }

    private GrainCallException SiloStopped(bool mayHaveBeenApplied)
        => new($"Grain {id}: the silo stopped before the call completed.", mayHaveBeenApplied);

    internal readonly record struct PendingCall(TCommand Command, string? CallId, bool IsRetry, TaskCompletionSource<TResult> Completion);

    private readonly record struct Turn(List<PendingCall> Accepted, List<TResult> Results, StateWrite Write);
}
