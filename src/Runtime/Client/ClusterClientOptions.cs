namespace ThrottleCluster.Runtime.Client;

public sealed class ClusterClientOptions
{
    /// <summary>Time one attempt on one silo may take before the next silo is tried.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Silos tried per call, the same call id each time, so a retried call is applied once.</summary>
    public int MaxAttempts { get; set; } = 3;

    /// <summary>How long a silo that refused a connection is passed over.</summary>
    public TimeSpan SuspectFor { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Give each call an id whose answer the silo keeps for a while (a receipt beside the state),
    /// so a call retried after a lost answer is applied once. Off: a retry may apply it twice,
    /// cheaper where over-counting is the safe direction.
    /// </summary>
    public bool Receipts { get; set; } = true;

    /// <summary>The cluster's <c>Cluster:Key</c>, sent with every call when set.</summary>
    public string? ClusterKey { get; set; }

    /// <summary>Send each grain to the silo that ranks first for it, so its activation stays warm and uncontended.</summary>
    public bool KeyAffinity { get; set; } = true;
}
