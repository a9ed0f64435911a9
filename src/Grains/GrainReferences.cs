namespace ThrottleCluster.Grains;

/// <summary>
/// References to grains of one interface by string key, made as Orleans' <c>GetGrain</c> makes them
/// minus its cost per call: it formats the interface's type name to look up its
/// <see cref="GrainInterfaceType"/> every time (about 3 % of a silo's allocations, five calls per
/// decision). Here both types are taken from the first reference, when the cluster's manifest is
/// known (an Orleans client learns it once connected). A factory whose grains are not Orleans
/// references (a unit test's) is asked every time.
/// </summary>
internal sealed class GrainReferences<TGrain>(IGrainFactory grains) where TGrain : IGrainWithStringKey
{
    // A reference, so that callers on other threads see both types or neither.
    private Types? _types;

    public TGrain this[string key]
    {
        get
        {
            if (_types is { } types) return (TGrain)grains.GetGrain(GrainId.Create(types.Grain, key), types.Interface);
            var grain = grains.GetGrain<TGrain>(key);
            if (grain is GrainReference reference) _types = new Types(reference.GrainId.Type, reference.InterfaceType);
            return grain;
        }
    }

    private sealed record Types(GrainType Grain, GrainInterfaceType Interface);
}
