using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Storage;
using ThrottleCluster.Grains.Abstractions;
using ThrottleCluster.Grains.Storage;

namespace ThrottleCluster.Grains;

/// <summary>
/// The shell every throttling grain is: state in, the kind's pure function, persist, and only then
/// answer. Calls that arrive while a write is in flight wait in a queue and are applied together
/// when it ends, then persisted with one write (group commit): each caller completes after the write
/// that holds its change, and a failed write fails exactly the callers it held. The grain is
/// reentrant only so that callers can queue; everything here runs on the activation's scheduler,
/// one piece at a time.
/// </summary>
/// <remarks>
/// A write that loses on its ETag (another activation of the grain wrote first) re-reads, re-applies
/// the same commands to what it read and writes again, up to <see cref="MaxWriteAttempts"/> times,
/// then fails its callers with <see cref="GrainContendedException"/>: two activations can never both
/// spend the same quota. After any failure the next batch starts from a fresh read.
/// </remarks>
public abstract class WriteThroughGrain<TState, TCommand, TResult>(IPersistentState<Stored<TState>> storage, TimeProvider time)
    : Grain, IInspectableGrain
    where TState : class
{
    public const int MaxWriteAttempts = 16;

    private List<IPendingCall>? _queue;
    private bool _committing;
    private bool _reload;

    protected abstract TState Initial { get; }

    protected abstract (TState State, TResult Result) Apply(TState state, TCommand command, DateTimeOffset now);

    /// <summary>How long the state can still affect a decision; at or below zero it is cleared from the store.</summary>
    protected abstract TimeSpan TimeToLive(TState state, DateTimeOffset now);

    /// <summary>The state this activation last read or wrote (its initial state when nothing is stored).</summary>
    protected TState Current => storage.State?.Value ?? Initial;

    /// <summary>Whether the store held state for this grain when it was last read or written.</summary>
    protected bool RecordExists => storage.RecordExists;

    protected TimeProvider Time => time;

    /// <summary>Applies <paramref name="command"/> in the next batch; completes once that batch is written.</summary>
    protected Task<TResult> Run(TCommand command)
    {
        var call = new CommandCall(command);
        Enqueue(call);
        return call.Task;
    }

    public Task<GrainInspection> Inspect()
    {
        var call = new InspectCall(this);
        Enqueue(call);
        return call.Task;
    }

    private void Enqueue(IPendingCall call)
    {
        (_queue ??= []).Add(call);
        if (_committing) return;
        _committing = true;
        _ = CommitQueuedAsync();
    }

    // One async method from the queue to the store's task: every await level in between would come
    // back through the activation's scheduler (a task, a continuation and a delegate per level, per write).
    private async Task CommitQueuedAsync()
    {
        try
        {
            while (_queue is { Count: > 0 } batch)
            {
                _queue = null;
                // An inspection reads the store's truth, past this activation's copy.
                if (batch.Exists(call => call is InspectCall)) _reload = true;
                for (var attempt = 1; ; attempt++)
                {
                    try
                    {
                        if (_reload || storage.State?.ExpiresAt <= time.GetUtcNow())
                        {
                            await storage.ReadStateAsync();
                            _reload = false;
                        }
                        var now = time.GetUtcNow();
                        var before = Current;
                        var state = before;
                        foreach (var call in batch) state = call.Apply(this, state, now);
                        if (!ReferenceEquals(state, before) && !state.Equals(before))
                        {
                            var started = time.GetTimestamp();
                            await Persist(state, now);
                            GrainStorageMetrics.Written(Kind, batch.Count, time.GetElapsedTime(started));
                        }
                        foreach (var call in batch) call.Complete();
                        break;
                    }
                    catch (InconsistentStateException)
                    {
                        _reload = true;
                        GrainStorageMetrics.Conflict(Kind);
                        if (attempt < MaxWriteAttempts) continue;
                        var message = $"Grain {this.GetGrainId()}: {attempt} writes in a row lost to another activation's; nothing was applied.";
                        Fail(batch, () => new GrainContendedException(message));
                        break;
                    }
                    catch (Exception ex)
                    {
                        // The write may or may not have landed: only a fresh read tells.
                        _reload = true;
                        ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger(GetType())
                            .LogWarning(ex, "Grain {Grain}: its storage failed; the {Calls} calls of the batch failed with it", this.GetGrainId(), batch.Count);
                        var message = $"Grain {this.GetGrainId()}: its state could not be read or written; the call may or may not have been applied.";
                        Fail(batch, () => new GrainStorageException(message));
                        break;
                    }
                }
            }
        }
        finally
        {
            _committing = false;
        }
    }

    private Task Persist(TState state, DateTimeOffset now)
    {
        var ttl = TimeToLive(state, now);
        if (ttl > TimeSpan.Zero)
        {
            storage.State = new Stored<TState> { Value = state, ExpiresAt = now + ttl };
            return storage.WriteStateAsync();
        }
        if (!storage.RecordExists)
        {
            storage.State = new Stored<TState>();
            return Task.CompletedTask;
        }
        return ClearAsync();
    }

    private async Task ClearAsync()
    {
        await storage.ClearStateAsync();
        storage.State = new Stored<TState>();
    }

    // A grain type's name is decoded into a new string on every ToString: once per kind, not per write.
    private static readonly ConcurrentDictionary<GrainType, string> KindNames = new();

    private string Kind => KindNames.GetOrAdd(this.GetGrainId().Type, type => type.ToString()!);

    // Each caller gets an exception of its own, and a small one. One shared instance would collect a
    // stack trace from every caller it is rethrown to, and each answer carries it across the wire: a
    // batch of thousands then takes seconds to fail (seen here: a 15 s turn, answers dropped as expired).
    private void Fail(List<IPendingCall> batch, Func<Exception> error)
    {
        GrainStorageMetrics.Failed(Kind);
        foreach (var call in batch) call.Fail(error());
    }

    private GrainInspection Inspection()
    {
        var grain = this.GetGrainId().ToString();
        if (storage.State?.Value is not { } value) return new GrainInspection(grain, false, 0, null, "null");
        return new GrainInspection(grain, true, StateFormats.Serialize(storage.State).Length, storage.State.ExpiresAt,
            JsonSerializer.Serialize(value, ProductJson.Options));
    }

    private interface IPendingCall
    {
        /// <summary>Applies the call to <paramref name="state"/>; a command the logic refuses fails alone, the rest of the batch goes on.</summary>
        TState Apply(WriteThroughGrain<TState, TCommand, TResult> grain, TState state, DateTimeOffset now);

        void Complete();

        void Fail(Exception error);
    }

    private sealed class CommandCall(TCommand command) : TaskCompletionSource<TResult>, IPendingCall
    {
        private TResult? _result;
        private Exception? _refused;

        public TState Apply(WriteThroughGrain<TState, TCommand, TResult> grain, TState state, DateTimeOffset now)
        {
            _refused = null;
            try
            {
                (state, _result) = grain.Apply(state, command, now);
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
            {
                _refused = ex;
            }
            return state;
        }

        public void Complete()
        {
            if (_refused is null) TrySetResult(_result!);
            else TrySetException(_refused);
        }

        public void Fail(Exception error) => TrySetException(error);
    }

    private sealed class InspectCall(WriteThroughGrain<TState, TCommand, TResult> grain) : TaskCompletionSource<GrainInspection>, IPendingCall
    {
        public TState Apply(WriteThroughGrain<TState, TCommand, TResult> _, TState state, DateTimeOffset now) => state;

        public void Complete() => TrySetResult(grain.Inspection());

        public void Fail(Exception error) => TrySetException(error);
    }
}
