using System.Text;
using Azure;
using Azure.Data.Tables;
using Orleans.Storage;
using ThrottleCluster.Grains.Storage;

namespace ThrottleCluster.Hosting.Storage;

/// <summary>
/// Grain storage in an Azure Storage table (Azurite locally): one entity per grain, its state in a
/// binary column, the table's own ETags for compare-and-set, and the state's expiry in a column of
/// its own. Tables have no expiry of their own: an expired row reads as no state, and
/// <see cref="SweepExpiredAsync"/> deletes expired rows.
/// </summary>
public sealed class AzureTableStateStorage(TableClient table, IGrainStorageSerializer serializer, TimeProvider time) : IGrainStorage
{
    internal const string RowKey = "state";
    private const string DataColumn = "Data";
    private const string ExpiresColumn = "ExpiresAt";

    private readonly Lazy<Task> _created = new(() => table.CreateIfNotExistsAsync());

    /// <summary>Creates the table if it is not there yet; every call also makes sure of it.</summary>
    public Task CreateTableAsync(CancellationToken ct) => _created.Value.WaitAsync(ct);

    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        await _created.Value;
        var found = await table.GetEntityIfExistsAsync<TableEntity>(PartitionKey(grainId), RowKey);
        var entity = found.HasValue ? found.Value : null;
        // An expired row is no state, but its ETag stays: the next write replaces exactly that row.
        var expiresAt = entity?.GetDateTimeOffset(ExpiresColumn);
        var live = entity is not null && !(expiresAt <= time.GetUtcNow());
        grainState.State = live ? serializer.Deserialize<T>(entity!.GetBinaryData(DataColumn))! : Activator.CreateInstance<T>();
        if (live && grainState.State is IExpiringState expiring) expiring.ExpiresAt = expiresAt;
        grainState.ETag = entity?.ETag.ToString();
        grainState.RecordExists = live;
    }

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        await _created.Value;
        var entity = new TableEntity(PartitionKey(grainId), RowKey)
        {
            [DataColumn] = serializer.Serialize(grainState.State).ToArray(),
            [ExpiresColumn] = (grainState.State as IExpiringState)?.ExpiresAt,
        };
        var response = await Conditionally(grainId, grainState.ETag, () => grainState.ETag is { } etag
            ? table.UpdateEntityAsync(entity, new ETag(etag), TableUpdateMode.Replace)
            : table.AddEntityAsync(entity));
        grainState.ETag = response.Headers.ETag?.ToString();
        grainState.RecordExists = true;
    }

    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        await _created.Value;
        if (grainState.ETag is { } etag) await Conditionally(grainId, etag, () => table.DeleteEntityAsync(PartitionKey(grainId), RowKey, new ETag(etag)));
        grainState.ETag = null;
        grainState.RecordExists = false;
    }

    /// <summary>Deletes every row whose state expired before now; a row written again meanwhile stays.</summary>
    /// <returns>How many rows were deleted.</returns>
    public async Task<int> SweepExpiredAsync(CancellationToken ct)
    {
        await _created.Value;
        var deleted = 0;
        var filter = TableClient.CreateQueryFilter($"ExpiresAt lt {time.GetUtcNow()}");
        await foreach (var row in table.QueryAsync<TableEntity>(filter, select: ["PartitionKey", "RowKey"], cancellationToken: ct))
        {
            try
            {
                await table.DeleteEntityAsync(row.PartitionKey, row.RowKey, row.ETag, ct);
                deleted++;
            }
            catch (RequestFailedException e) when (e.Status is 404 or 412)
            {
                // Gone already, or written again since the query.
            }
        }
        return deleted;
    }

    private static async Task<Response> Conditionally(GrainId grainId, string? etag, Func<Task<Response>> operation)
    {
        try
        {
            return await operation();
        }
        catch (RequestFailedException e) when (e.Status is 404 or 409 or 412)
        {
            throw new InconsistentStateException($"Grain state {grainId} was written by another activation since it was read.", null, etag, e);
        }
    }

    /// <summary>The grain id, with the characters table keys may not hold (and the escape itself) percent-encoded.</summary>
    internal static string PartitionKey(GrainId grainId)
    {
        var id = grainId.ToString();
        var key = new StringBuilder(id.Length + 8);
        foreach (var c in id)
        {
            if (c is '/' or '\\' or '#' or '?' or '%' || char.IsControl(c)) key.Append('%').Append(((int)c).ToString("X4"));
            else key.Append(c);
        }
        return key.ToString();
    }
}
