using System.Buffers.Binary;
using System.Diagnostics;
using ThrottleCluster.Runtime.Storage;

namespace ThrottleCluster.Runtime.Tests.Storage;

/// <summary>
/// What every grain storage provider must do, run against each one. Every test uses keys of its
/// own, so providers backed by one engine can share it across the whole run.
/// </summary>
public abstract class GrainStorageConformance
{
    protected static readonly TimeSpan LongTimeToLive = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan ShortTimeToLive = TimeSpan.FromMilliseconds(300);
    private static readonly TimeSpan ExpiryDeadline = TimeSpan.FromSeconds(15);

    protected abstract IGrainStorage Storage { get; }

    /// <summary>Storage as several silos see it: one instance each, over connections of their own.</summary>
    protected abstract IReadOnlyList<IGrainStorage> Silos { get; }

    /// <summary>Moves the provider's clock; engines keep real time, so for them there is nothing to do.</summary>
    protected virtual void LetTimePass(TimeSpan duration) { }

    protected static string NewKey(string kind = "test") => $"{kind}/{Guid.NewGuid():N}";

    [Fact]
    public async Task A_missing_key_reads_as_version_zero_with_no_bytes()
    {
        var state = await Storage.ReadAsync(NewKey());

        Assert.False(state.Exists);
        Assert.Equal(0, state.Version);
        Assert.Equal(0, state.State.Length);
    }

    [Fact]
    public async Task The_first_write_expects_version_zero_and_creates_version_one()
    {
        var key = NewKey();

        var outcome = await WriteAsync(key, 0, [1, 2, 3]);

        Assert.Equal(WriteStatus.Written, outcome.Status);
        Assert.Equal(1, outcome.Current.Version);
        await AssertStoredAsync(key, 1, [1, 2, 3]);
    }

    [Fact]
    public async Task A_write_expecting_the_current_version_bumps_it_and_replaces_the_state()
    {
        var key = NewKey();
        await WriteAsync(key, 0, [1]);

        var second = await WriteAsync(key, 1, [2, 2]);
        var third = await WriteAsync(key, 2, [3, 3, 3]);

        Assert.Equal((WriteStatus.Written, 2L), (second.Status, second.Current.Version));
        Assert.Equal((WriteStatus.Written, 3L), (third.Status, third.Current.Version));
        await AssertStoredAsync(key, 3, [3, 3, 3]);
    }

    [Fact]
    public async Task A_stale_writer_gets_the_current_state_back_and_stores_nothing()
    {
        var key = NewKey();
        await WriteAsync(key, 0, [1]);
        await WriteAsync(key, 1, [2, 0, 2]);

        var stale = await WriteAsync(key, 1, [9, 9]);

        Assert.Equal(WriteStatus.Conflict, stale.Status);
        Assert.Equal(2, stale.Current.Version);
        Assert.Equal([2, 0, 2], stale.Current.State.ToArray());
        await AssertStoredAsync(key, 2, [2, 0, 2]);
    }

    [Fact]
    public async Task Expecting_a_version_of_a_missing_key_is_a_conflict_with_nothing()
    {
        var key = NewKey();

        var outcome = await WriteAsync(key, 4, [1]);

        Assert.Equal(WriteStatus.Conflict, outcome.Status);
        Assert.False(outcome.Current.Exists);
        Assert.False((await Storage.ReadAsync(key)).Exists);
    }

    [Fact]
    public async Task Expecting_version_zero_of_an_existing_key_is_a_conflict()
    {
        var key = NewKey();
        await WriteAsync(key, 0, [7]);

        var outcome = await WriteAsync(key, 0, [8]);

        Assert.Equal(WriteStatus.Conflict, outcome.Status);
        Assert.Equal(1, outcome.Current.Version);
        Assert.Equal([7], outcome.Current.State.ToArray());
    }

    [Fact]
    public async Task State_expires_after_its_time_to_live_and_the_version_starts_over()
    {
        var key = NewKey();
        var sinceWrite = Stopwatch.StartNew();
        await WriteAsync(key, 0, [1], ShortTimeToLive);
        var rightAfter = await Storage.ReadAsync(key);
        // On a loaded machine the read itself may come after expiry; only a quick read proves anything.
        if (sinceWrite.Elapsed < ShortTimeToLive / 2) Assert.True(rightAfter.Exists);

        LetTimePass(ShortTimeToLive);
        var deadline = Stopwatch.StartNew();
        while ((await Storage.ReadAsync(key)).Exists)
        {
            Assert.True(deadline.Elapsed < ExpiryDeadline, $"state with a {ShortTimeToLive.TotalMilliseconds} ms time to live still exists after {deadline.Elapsed}");
            await Task.Delay(50);
        }

        var again = await WriteAsync(key, 0, [2]);
        Assert.Equal((WriteStatus.Written, 1L), (again.Status, again.Current.Version));
    }

    [Fact]
    public async Task Time_to_live_is_counted_from_the_latest_write()
    {
        var key = NewKey();
        await WriteAsync(key, 0, [1], ShortTimeToLive);

        await WriteAsync(key, 1, [2], LongTimeToLive);
        LetTimePass(ShortTimeToLive * 2);
        await Task.Delay(ShortTimeToLive * 2);

        await AssertStoredAsync(key, 2, [2]);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1000)]
    public async Task A_time_to_live_at_or_below_zero_deletes_and_the_version_starts_over(int milliseconds)
    {
        var key = NewKey();
        await WriteAsync(key, 0, [1]);
        await WriteAsync(key, 1, [2]);

        var delete = await WriteAsync(key, 2, [3], TimeSpan.FromMilliseconds(milliseconds));

        Assert.Equal((WriteStatus.Written, 0L), (delete.Status, delete.Current.Version));
        Assert.False((await Storage.ReadAsync(key)).Exists);
        var recreate = await WriteAsync(key, 0, [4]);
        Assert.Equal((WriteStatus.Written, 1L), (recreate.Status, recreate.Current.Version));
        await AssertStoredAsync(key, 1, [4]);
    }

    [Fact]
    public async Task Empty_state_is_stored_state_not_a_missing_key()
    {
        var key = NewKey();

        await WriteAsync(key, 0, []);

        await AssertStoredAsync(key, 1, []);
        var conflict = await WriteAsync(key, 0, [1]);
        Assert.Equal(WriteStatus.Conflict, conflict.Status);
        Assert.True(conflict.Current.Exists);
        Assert.Equal(0, conflict.Current.State.Length);
    }

    [Fact]
    public async Task A_large_state_round_trips_exactly()
    {
        var key = NewKey();
        var state = new byte[1024 * 1024];
        Random.Shared.NextBytes(state);

        await WriteAsync(key, 0, state);
        var conflict = await WriteAsync(key, 0, [1]);

        await AssertStoredAsync(key, 1, state);
        Assert.Equal(state, conflict.Current.State.ToArray());
    }

    [Fact]
    public async Task Every_byte_value_round_trips_including_separators_and_line_breaks()
    {
        var key = NewKey();
        byte[] state = [0x00, (byte)':', (byte)'\r', (byte)'\n', (byte)':', 0x00, .. Enumerable.Range(0, 256).Select(b => (byte)b), (byte)'\r', (byte)'\n', 0xFF];

        await WriteAsync(key, 0, state);
        var conflict = await WriteAsync(key, 0, [1]);

        await AssertStoredAsync(key, 1, state);
        Assert.Equal(state, conflict.Current.State.ToArray());
    }

    [Fact]
    public async Task A_checked_receipt_makes_the_write_a_duplicate_with_the_stored_result_and_writes_nothing()
    {
        var key = NewKey();
        byte[] firstResult = [0x00, (byte)':', (byte)'\r', (byte)'\n', 0xFF];
        await WriteAsync(key, 0, [1], receipts: [Receipt("call-a", firstResult), Receipt("call-b", 42)]);

        var retry = await WriteAsync(key, 1, [2], receipts: [Receipt("call-c", 3)], checkReceipts: ["call-x", "call-a"]);

        Assert.Equal(WriteStatus.Duplicate, retry.Status);
        var duplicate = Assert.Single(retry.Duplicates);
        Assert.Equal("call-a", duplicate.CallId);
        Assert.Equal(firstResult, duplicate.Result.ToArray());
        await AssertStoredAsync(key, 1, [1]);
        var notRecorded = await WriteAsync(key, 1, [2], checkReceipts: ["call-c"]);
        Assert.Equal(WriteStatus.Written, notRecorded.Status);
    }

    [Fact]
    public async Task Every_checked_receipt_found_is_returned()
    {
        var key = NewKey();
        await WriteAsync(key, 0, [1], receipts: [Receipt("call-a", 1), Receipt("call-b")]);

        var retry = await WriteAsync(key, 1, [2], checkReceipts: ["call-b", "call-z", "call-a"]);

        Assert.Equal(WriteStatus.Duplicate, retry.Status);
        Assert.Equal(
            [("call-b", ""), ("call-a", "01")],
            retry.Duplicates.Select(d => (d.CallId, Convert.ToHexString(d.Result.Span))).ToArray());
    }

    [Fact]
    public async Task A_retried_call_is_a_duplicate_even_though_its_expected_version_is_now_stale()
    {
        var key = NewKey();
        await WriteAsync(key, 0, [1], receipts: [Receipt("call-a", 5)]);
        await WriteAsync(key, 1, [2]);

        var retry = await WriteAsync(key, 0, [9], checkReceipts: ["call-a"]);

        Assert.Equal(WriteStatus.Duplicate, retry.Status);
        Assert.Equal([5], Assert.Single(retry.Duplicates).Result.ToArray());
    }

    [Fact]
    public async Task Receipts_with_no_match_let_the_write_through()
    {
        var key = NewKey();
        await WriteAsync(key, 0, [1], receipts: [Receipt("call-a", 1)]);

        var outcome = await WriteAsync(key, 1, [2], checkReceipts: ["call-b", "call-c"]);

        Assert.Equal((WriteStatus.Written, 2L), (outcome.Status, outcome.Current.Version));
    }

    [Fact]
    public async Task Receipts_belong_to_their_grain()
    {
        var recorded = NewKey();
        var other = NewKey();
        await WriteAsync(recorded, 0, [1], receipts: [Receipt("call-a", 1)]);

        var outcome = await WriteAsync(other, 0, [2], checkReceipts: ["call-a"]);

        Assert.Equal(WriteStatus.Written, outcome.Status);
    }

    [Fact]
    public async Task A_deleting_write_still_records_its_receipts()
    {
        var key = NewKey();
        await WriteAsync(key, 0, [1]);
        await WriteAsync(key, 1, [], TimeSpan.Zero, receipts: [Receipt("call-a", 7)]);

        var retry = await WriteAsync(key, 0, [1], checkReceipts: ["call-a"]);

        Assert.Equal(WriteStatus.Duplicate, retry.Status);
        Assert.Equal([7], Assert.Single(retry.Duplicates).Result.ToArray());
    }

    [Fact]
    public async Task A_conflicting_write_records_no_receipts()
    {
        var key = NewKey();
        await WriteAsync(key, 0, [1]);

        await WriteAsync(key, 0, [2], receipts: [Receipt("call-a", 1)]);
        var check = await WriteAsync(key, 1, [3], checkReceipts: ["call-a"]);

        Assert.Equal(WriteStatus.Written, check.Status);
    }

    [Fact]
    public async Task Concurrent_writers_on_one_key_each_version_has_exactly_one_winner()
    {
        const int writersPerSilo = 4;
        const int incrementsPerWriter = 25;
        var key = NewKey("counter");
        var writers = Silos.SelectMany(silo => Enumerable.Repeat(silo, writersPerSilo)).ToList();
        var total = writers.Count * incrementsPerWriter;

        var won = await Task.WhenAll(writers.Select(silo => Task.Run(() => IncrementAsync(silo, key, incrementsPerWriter))));

        var versions = won.SelectMany(v => v).Order().ToList();
        Assert.Equal(Enumerable.Range(1, total).Select(v => (long)v), versions);
        var final = await Storage.ReadAsync(key);
        Assert.Equal(total, final.Version);
        Assert.Equal(total, BinaryPrimitives.ReadInt64LittleEndian(final.State.Span));
    }

    /// <summary>Adds one to a counter <paramref name="times"/> times; answers the versions it wrote.</summary>
    private static async Task<List<long>> IncrementAsync(IGrainStorage storage, string key, int times)
    {
        var won = new List<long>();
        var current = await storage.ReadAsync(key);
        while (won.Count < times)
        {
            var counter = current.Exists ? BinaryPrimitives.ReadInt64LittleEndian(current.State.Span) : 0;
            var next = new byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(next, counter + 1);
            var outcome = await storage.WriteAsync(new StateWrite(key, current.Version, next, LongTimeToLive, [], []));
            if (outcome.Status == WriteStatus.Written)
            {
                won.Add(outcome.Current.Version);
                current = new StoredState(outcome.Current.Version, next);
            }
            else
            {
                current = outcome.Current;
            }
        }
        return won;
    }

    protected Task<WriteOutcome> WriteAsync(
        string key,
        long expectedVersion,
        byte[] state,
        TimeSpan? timeToLive = null,
        CallReceipt[]? receipts = null,
        string[]? checkReceipts = null)
        => Storage.WriteAsync(new StateWrite(key, expectedVersion, state, timeToLive ?? LongTimeToLive, receipts ?? [], checkReceipts ?? [])).AsTask();

    protected static CallReceipt Receipt(string callId, params byte[] result) => new(callId, result);

    private async Task AssertStoredAsync(string key, long version, byte[] state)
    {
        var stored = await Storage.ReadAsync(key);
        Assert.Equal(version, stored.Version);
        Assert.Equal(state, stored.State.ToArray());
    }
}
