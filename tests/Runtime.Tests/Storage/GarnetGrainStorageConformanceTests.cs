using ThrottleCluster.Runtime.Storage;
using ThrottleCluster.Runtime.Tests.Engines;
using Xunit.Abstractions;

namespace ThrottleCluster.Runtime.Tests.Storage;

[Collection(GarnetCollection.Name)]
public sealed class GarnetGrainStorageConformanceTests(GarnetFixture garnet, ITestOutputHelper output) : GrainStorageConformance
{
    protected override IGrainStorage Storage => garnet.Storages[0];

    protected override IReadOnlyList<IGrainStorage> Silos => garnet.Storages;

    [Fact]
    public async Task A_throttling_grain_takes_under_200_bytes_in_the_engine()
    {
        var key = $"account/u{Random.Shared.Next():x8}@example.com";
        var state = new byte[40];
        Random.Shared.NextBytes(state);
        await WriteAsync(key, 0, state);

        var bytes = (long)(await garnet.Server.ExecuteAsync("MEMORY", "USAGE", $"{RedisGrainStorage.DefaultKeyPrefix}{{{key}}}"))!;

        output.WriteLine($"Key '{key}' ({key.Length} characters) with {state.Length} bytes of state: MEMORY USAGE {bytes} bytes.");
        Assert.InRange(bytes, 1, 199);
    }
}
