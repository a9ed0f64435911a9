namespace ThrottleCluster.Runtime;

/// <summary>The grain types a silo hosts, by kind.</summary>
public sealed class GrainCatalog
{
    private readonly Dictionary<string, IGrainKind> _kinds = new(StringComparer.Ordinal);

    public GrainCatalog Add<TState, TCommand, TResult>(GrainType<TState, TCommand, TResult> type)
    {
        _ = new GrainId(type.Kind, "probe"); // same rules as every id of this kind
        if (!_kinds.TryAdd(type.Kind, new GrainKind<TState, TCommand, TResult>(type)))
            throw new ArgumentException($"Grain kind '{type.Kind}' is registered twice.");
        return this;
    }

    public IReadOnlyCollection<string> Kinds => _kinds.Keys;

    internal IGrainKind Get(string kind)
        => _kinds.TryGetValue(kind, out var k) ? k : throw new UnknownGrainKindException($"No grain kind '{kind}' is registered on this silo.");

    internal IGrainKind<TCommand, TResult> Get<TCommand, TResult>(string kind)
        => Get(kind) as IGrainKind<TCommand, TResult>
           ?? throw new UnknownGrainKindException($"Grain kind '{kind}' does not take {typeof(TCommand).Name} and return {typeof(TResult).Name}.");
}
