namespace ThrottleCluster.Runtime;

/// <summary>A pure transition: state, command and the turn's time in; new state and result out.</summary>
public delegate (TState State, TResult Result) GrainTransition<TState, TCommand, TResult>(TState state, TCommand command, DateTimeOffset now);

/// <summary>
/// Everything the runtime needs to host one kind of grain. Grain logic stays free of the runtime:
/// a host registers plain functions here.
/// </summary>
/// <param name="Kind">Grain kind, the first part of every <see cref="GrainId"/> of this type.</param>
/// <param name="InitialState">State of a grain that has never been written or whose state expired.</param>
/// <param name="Apply">The grain's logic.</param>
/// <param name="TimeToLive">How long the state can still affect a decision; at or below zero the state is deleted.</param>
/// <param name="Serialize">Compact binary form of the state, as stored in the engine.</param>
/// <param name="Deserialize">Inverse of <paramref name="Serialize"/>.</param>
public sealed record GrainType<TState, TCommand, TResult>(
    string Kind,
    TState InitialState,
    GrainTransition<TState, TCommand, TResult> Apply,
    Func<TState, DateTimeOffset, TimeSpan> TimeToLive,
    Func<TState, byte[]> Serialize,
    Func<ReadOnlyMemory<byte>, TState> Deserialize);
