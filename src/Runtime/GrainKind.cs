using System.Text.Json;

namespace ThrottleCluster.Runtime;

/// <summary>A registered grain type with what the runtime adds to it: activations and the wire format.</summary>
internal interface IGrainKind
{
    IActivation Activate(GrainId id, RuntimeContext context, bool kept);

    /// <summary>Stored bytes as the grain's state object, for operators' eyes.</summary>
    object? DeserializeState(ReadOnlyMemory<byte> state);

    /// <summary>The wire path: JSON command in, JSON result out, for calls that arrive over HTTP.</summary>
    Task<byte[]> CallJsonAsync(GrainRuntime runtime, GrainId id, ReadOnlyMemory<byte> command, string? callId, bool isRetry);
}

/// <summary>A grain kind seen through its command and result types, as typed callers see it.</summary>
internal interface IGrainKind<in TCommand, TResult> : IGrainKind
{
    Task<TResult> Enqueue(GrainRuntime runtime, GrainId id, TCommand command, string? callId, bool isRetry);
}

internal sealed class GrainKind<TState, TCommand, TResult>(GrainType<TState, TCommand, TResult> type) : IGrainKind<TCommand, TResult>
{
    public GrainType<TState, TCommand, TResult> Type => type;

    public Task<TResult> Enqueue(GrainRuntime runtime, GrainId id, TCommand command, string? callId, bool isRetry)
        => runtime.Enqueue(this, id, command, callId, isRetry);

    public IActivation Activate(GrainId id, RuntimeContext context, bool kept) => new Activation<TState, TCommand, TResult>(id, this, context, kept);

    public async Task<byte[]> CallJsonAsync(GrainRuntime runtime, GrainId id, ReadOnlyMemory<byte> command, string? callId, bool isRetry)
    {
        var decoded = JsonSerializer.Deserialize<TCommand>(command.Span, GrainJson.Options)
                      ?? throw new JsonException($"The command for grain {id} is null.");
        var result = await runtime.CallAsync<TCommand, TResult>(id, decoded, callId, isRetry).ConfigureAwait(false);
        return SerializeResult(result);
    }

    public object? DeserializeState(ReadOnlyMemory<byte> state) => type.Deserialize(state);

    public byte[] SerializeResult(TResult result) => JsonSerializer.SerializeToUtf8Bytes(result, GrainJson.Options);

    public TResult DeserializeResult(ReadOnlyMemory<byte> json) => JsonSerializer.Deserialize<TResult>(json.Span, GrainJson.Options)!;
}
