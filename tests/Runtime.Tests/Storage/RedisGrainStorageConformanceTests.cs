using StackExchange.Redis;
using ThrottleCluster.Runtime.Storage;
using ThrottleCluster.Runtime.Testing;
using ThrottleCluster.Runtime.Tests.Engines;

namespace ThrottleCluster.Runtime.Tests.Storage;

[Collection(RedisCollection.Name)]
public sealed class RedisGrainStorageConformanceTests(RedisFixture redis) : GrainStorageConformance
{
    protected override IGrainStorage Storage => redis.Storages[0];

    protected override IReadOnlyList<IGrainStorage> Silos => redis.Storages;

    [Fact]
    public async Task A_write_the_engine_does_not_answer_in_time_fails_with_a_timeout()
    {
        using var connection = await ConnectionMultiplexer.ConnectAsync(redis.Server.ConnectionString + ",syncTimeout=300");
        var storage = new RedisGrainStorage(connection);
        await redis.Server.ExecuteAsync("CLIENT", "PAUSE", "3000", "ALL");
        try
        {
            await Assert.ThrowsAsync<TimeoutException>(() => storage.WriteAsync(new StateWrite(NewKey(), 0, new byte[] { 1 }, LongTimeToLive, [], [])).AsTask());
        }
        finally
        {
            await redis.Server.ExecuteAsync("CLIENT", "UNPAUSE");
        }
    }

    [Fact]
    public async Task A_write_to_an_engine_that_is_gone_fails_instead_of_answering()
    {
        await using var server = await RedisServer.StartAsync();
        using var connection = await ConnectionMultiplexer.ConnectAsync(server.ConnectionString + ",syncTimeout=2000,abortConnect=false");
        var storage = new RedisGrainStorage(connection);
        await storage.WriteAsync(new StateWrite(NewKey(), 0, new byte[] { 1 }, LongTimeToLive, [], []));

        await server.DisposeAsync();
        var failure = await Record.ExceptionAsync(() => storage.WriteAsync(new StateWrite(NewKey(), 0, new byte[] { 1 }, LongTimeToLive, [], [])).AsTask());

        Assert.True(failure is RedisConnectionException or TimeoutException, $"expected a connection failure or a timeout, got {failure}");
    }
}
