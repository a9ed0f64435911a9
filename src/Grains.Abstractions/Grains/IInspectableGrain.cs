namespace ThrottleCluster.Grains.Abstractions;

/// <summary>A grain whose stored state operators may read (<c>GET /v1/admin/grains/{kind}</c>).</summary>
[Alias("tc.inspectable")]
public interface IInspectableGrain : IGrainWithStringKey
{
    /// <summary>The state as grain storage holds it now, read past this activation's copy; changes nothing.</summary>
    [Alias("inspect")]
    Task<GrainInspection> Inspect();
}

/// <param name="Grain">The grain id, <c>kind/key</c>.</param>
/// <param name="Exists">Whether anything is stored: a grain never called, or whose state expired, has nothing.</param>
/// <param name="StoredBytes">Size of the state in its stored (binary) form.</param>
/// <param name="ExpiresAt">When the store drops the state, because it can no longer affect a decision.</param>
/// <param name="State">The state as JSON, for operators' eyes.</param>
[GenerateSerializer, Immutable, Alias("tc.grain-inspection")]
public sealed record GrainInspection(string Grain, bool Exists, int StoredBytes, DateTimeOffset? ExpiresAt, string State);
