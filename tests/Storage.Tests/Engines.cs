using ThrottleCluster.Tests.Support;

namespace ThrottleCluster.Storage.Tests;

[CollectionDefinition(Name)]
public sealed class GarnetCollection : ICollectionFixture<GarnetFixture>
{
    public const string Name = "Garnet";
}

[CollectionDefinition(Name)]
public sealed class GarnetClusterCollection : ICollectionFixture<GarnetClusterFixture>
{
    public const string Name = "Garnet cluster";
}

[CollectionDefinition(Name)]
public sealed class RedisCollection : ICollectionFixture<RedisFixture>
{
    public const string Name = "Redis";
}

[CollectionDefinition(Name)]
public sealed class AzuriteCollection : ICollectionFixture<AzuriteFixture>
{
    public const string Name = "Azurite";
}
