namespace ThrottleCluster.Grains.Abstractions;

/// <summary>
/// The cluster's live policy (one grain, key <see cref="Key"/>), stored like throttle state, so every
/// silo reads the same one.
/// </summary>
[Alias("tc.policy")]
public interface IPolicyGrain : IGrainWithStringKey
{
    public const string Key = "current";

    [Alias("get")]
    Task<StoredPolicy> Get();

    /// <summary>Puts a policy, already validated by the caller, in force for the whole cluster.</summary>
    [Alias("replace")]
    Task<StoredPolicy> Replace(string policyJson);
}

/// <summary>The live policy as stored: a version that grows with each replacement (0: none stored), and the policy as JSON.</summary>
[GenerateSerializer, Immutable, Alias("tc.stored-policy")]
public sealed record StoredPolicy(long Version, string Json)
{
    public static StoredPolicy None { get; } = new(0, "");
}
