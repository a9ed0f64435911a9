namespace ThrottleCluster.Grains.Storage;

/// <summary>The one grain storage provider every grain of the product uses, and the name of its state.</summary>
public static class GrainStorageNames
{
    public const string Provider = "throttle";
    public const string State = "state";
}
