using ThrottleCluster.Runtime.Storage;

namespace ThrottleCluster.Runtime.Tests.Storage;

public sealed class MemoryGrainStorageConformanceTests : GrainStorageConformance
{
    private readonly ManualTimeProvider _time = new();
    private readonly MemoryGrainStorage _storage;

    public MemoryGrainStorageConformanceTests() => _storage = new MemoryGrainStorage(_time);

    protected override IGrainStorage Storage => _storage;

    // Silos of one process share its memory.
    protected override IReadOnlyList<IGrainStorage> Silos => [_storage, _storage, _storage, _storage];

    protected override void LetTimePass(TimeSpan duration) => _time.Advance(duration);
}
