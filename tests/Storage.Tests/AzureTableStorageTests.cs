using Azure.Data.Tables;
using Microsoft.Extensions.Time.Testing;
using Orleans.Storage;
using ThrottleCluster.Grains.Storage;
using ThrottleCluster.Hosting.Storage;

namespace ThrottleCluster.Storage.Tests;

/// <summary>
/// The Azure Table provider on Azurite. Tables keep rows until told, so expiry is the provider's:
/// on a fake clock, an expired row reads as no state and the sweep deletes it.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class AzureTableStorageTests : GrainStorageConformance
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly TableClient _table;
    private readonly AzureTableStateStorage _storage;

    public AzureTableStorageTests(AzuriteFixture azurite)
    {
        var name = $"t{Guid.NewGuid():N}";
        _table = new TableClient(azurite.Server.ConnectionString, name);
        _storage = new AzureTableStateStorage(_table, new StateSerializer(), _time);
        Silos = [_storage, .. Enumerable.Range(0, 2).Select(_ => new AzureTableStateStorage(new TableClient(azurite.Server.ConnectionString, name), new StateSerializer(), _time))];
    }

    protected override IGrainStorage Storage => _storage;

    protected override IReadOnlyList<IGrainStorage> Silos { get; }

    protected override TimeProvider Time => _time;

    protected override async Task<bool> HoldsAsync(GrainId grain) => await RowAsync(grain) is not null;

    protected override async Task<long> StoredBytesAsync(GrainId grain) => (await RowAsync(grain))!.GetBinary("Data").Length;

    protected override async Task DropExpiredAsync(GrainId grain)
    {
        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.True(await _storage.SweepExpiredAsync(CancellationToken.None) >= 1);
    }

    private async Task<TableEntity?> RowAsync(GrainId grain)
    {
        var row = await _table.GetEntityIfExistsAsync<TableEntity>(AzureTableStateStorage.PartitionKey(grain), AzureTableStateStorage.RowKey);
        return row.HasValue ? row.Value : null;
    }
}
