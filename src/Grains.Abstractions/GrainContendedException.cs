namespace ThrottleCluster.Grains.Abstractions;

/// <summary>
/// A grain's write kept losing to writes of another activation of the same grain (two silos briefly
/// both hosting it): nothing of the call was applied. Callers fail closed.
/// </summary>
[GenerateSerializer, Alias("tc.grain-contended")]
public sealed class GrainContendedException : Exception
{
    public GrainContendedException() { }

    public GrainContendedException(string message) : base(message) { }

    public GrainContendedException(string message, Exception inner) : base(message, inner) { }
}
