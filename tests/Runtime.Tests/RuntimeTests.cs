using ThrottleCluster.Runtime.Storage;

namespace ThrottleCluster.Runtime.Tests;

public sealed class RuntimeTests
{
    [Fact]
    public async Task Two_silos_writing_one_grain_never_lose_an_increment()
    {
        var storage = new MemoryGrainStorage();
        await using var a = new GrainRuntime(new GrainCatalog().Add(CounterGrain.Type), storage);
        await using var b = new GrainRuntime(new GrainCatalog().Add(CounterGrain.Type), storage);
        var id = CounterGrain.Id("shared");

        // Both cache the grain first, so every later write of one makes the other's cache stale.
        await a.CallAsync<Increment, long>(id, new Increment(1));
        await b.CallAsync<Increment, long>(id, new Increment(1));
        await Task.WhenAll(Enumerable.Range(0, 400).Select(i =>
            (i % 2 == 0 ? a : b).CallAsync<Increment, long>(id, new Increment(1))));

        Assert.Equal(402, await a.CallAsync<Increment, long>(id, new Increment(0)));
        Assert.True(a.Metrics.Conflicts + b.Metrics.Conflicts > 0, "the test must exercise the conflict path");
    }

    [Fact]
    public async Task A_retried_call_returns_its_first_answer_and_is_applied_once()
    {
        var storage = new MemoryGrainStorage();
        await using var first = new GrainRuntime(new GrainCatalog().Add(CounterGrain.Type), storage);
        await using var second = new GrainRuntime(new GrainCatalog().Add(CounterGrain.Type), storage);
        var id = CounterGrain.Id("retried");

        var answer = await first.CallAsync<Increment, long>(id, new Increment(5), callId: "call1", isRetry: false);
        var retried = await second.CallAsync<Increment, long>(id, new Increment(5), callId: "call1", isRetry: true);
        var other = await second.CallAsync<Increment, long>(id, new Increment(1), callId: "call2", isRetry: true);

        Assert.Equal(5, answer);
        Assert.Equal(5, retried);
        Assert.Equal(6, other);
    }

    [Fact]
    public async Task Exhausted_conflicts_raise_a_typed_error_and_apply_nothing()
    {
        var storage = new AlwaysConflictingStorage();
        await using var runtime = new GrainRuntime(new GrainCatalog().Add(CounterGrain.Type), storage, new GrainRuntimeOptions { MaxWriteAttempts = 4 });

        var error = await Assert.ThrowsAsync<GrainConflictException>(() => runtime.CallAsync<Increment, long>(CounterGrain.Id("x"), new Increment(1)));

        Assert.False(error.MayHaveBeenApplied);
        Assert.Equal(4, storage.Writes);
    }

    [Fact]
    public async Task A_storage_failure_fails_the_call_and_the_next_turn_reads_again()
    {
        var storage = new FailingOnceStorage(new MemoryGrainStorage());
        await using var runtime = new GrainRuntime(new GrainCatalog().Add(CounterGrain.Type), storage);
        var id = CounterGrain.Id("flaky");
        await runtime.CallAsync<Increment, long>(id, new Increment(1));

        storage.FailNextWrite = true;
        var error = await Assert.ThrowsAsync<GrainCallException>(() => runtime.CallAsync<Increment, long>(id, new Increment(1)));
        Assert.True(error.MayHaveBeenApplied);
        var readsBefore = storage.Reads;

        Assert.Equal(3, await runtime.CallAsync<Increment, long>(id, new Increment(1))); // the failed write had landed
        Assert.Equal(readsBefore + 1, storage.Reads);
    }

    [Fact]
    public void Grain_ids_reject_keys_that_are_unsafe_to_store()
    {
        Assert.Throws<ArgumentException>(() => new GrainId("counter", ""));
        Assert.Throws<ArgumentException>(() => new GrainId("counter", "a b"));
        Assert.Throws<ArgumentException>(() => new GrainId("counter", "a\nb"));
        Assert.Throws<ArgumentException>(() => new GrainId("counter", "{tag}"));
        Assert.Throws<ArgumentException>(() => new GrainId("counter", new string('k', GrainId.MaxKeyLength + 1)));
        Assert.Throws<ArgumentException>(() => new GrainId("a/b", "key"));
        Assert.Equal("counter/2001:db8::/64", new GrainId("counter", "2001:db8::/64").ToString());
    }

    [Fact]
    public async Task Unknown_kinds_and_mismatched_types_are_refused()
    {
        await using var runtime = new GrainRuntime(new GrainCatalog().Add(CounterGrain.Type), new MemoryGrainStorage());
        await Assert.ThrowsAsync<UnknownGrainKindException>(() => runtime.CallAsync<Increment, long>(new GrainId("nope", "k"), new Increment(1)));
        await Assert.ThrowsAsync<UnknownGrainKindException>(() => runtime.CallAsync<string, long>(CounterGrain.Id("k"), "text"));
    }

    private sealed class AlwaysConflictingStorage : IGrainStorage
    {
        public int Writes;

        public ValueTask<StoredState> ReadAsync(string key, CancellationToken cancellationToken = default) => ValueTask.FromResult(StoredState.Missing);

        public ValueTask<WriteOutcome> WriteAsync(StateWrite write, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref Writes);
            return ValueTask.FromResult(WriteOutcome.Conflict(new StoredState(write.ExpectedVersion + 1, new byte[8])));
        }
    }

    private sealed class FailingOnceStorage(IGrainStorage inner) : IGrainStorage
    {
        public bool FailNextWrite;
        public int Reads;

        public ValueTask<StoredState> ReadAsync(string key, CancellationToken cancellationToken = default)
        {
            Reads++;
            return inner.ReadAsync(key, cancellationToken);
        }

        public async ValueTask<WriteOutcome> WriteAsync(StateWrite write, CancellationToken cancellationToken = default)
        {
            if (FailNextWrite)
            {
                FailNextWrite = false;
                // The write lands, then the connection drops before the answer: the worst case.
                await inner.WriteAsync(write, cancellationToken);
                throw new IOException("connection reset");
            }
            return await inner.WriteAsync(write, cancellationToken);
        }
    }
}

public sealed class ClusterKeyTests
{
    [Fact]
    public async Task With_a_cluster_key_only_callers_holding_it_reach_grains()
    {
        await using var cluster = await Testing.TestCluster.StartAsync(new Testing.TestClusterOptions
        {
            Grains = catalog => catalog.Add(CounterGrain.Type),
            Configuration = { [Hosting.ClusterMembership.KeyKey] = "s3cret" },
        });
        Assert.Equal(1, await cluster.Client.CallAsync<Increment, long>(CounterGrain.Id("k"), new Increment(1)));

        using var http = new HttpClient();
        var url = new Uri(cluster.Silos[0].Address, "/grains/counter?key=k");
        using var anonymous = await http.PostAsync(url, new StringContent("""{"by":5}""", System.Text.Encoding.UTF8, "application/json"));
        using var wrong = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent("""{"by":5}""", System.Text.Encoding.UTF8, "application/json") };
        wrong.Headers.Add(Hosting.GrainEndpoints.ClusterKeyHeader, "s3creT");
        using var wrongAnswer = await http.SendAsync(wrong);

        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, wrongAnswer.StatusCode);
        Assert.Equal(1, await cluster.Client.CallAsync<Increment, long>(CounterGrain.Id("k"), new Increment(0)));
    }
}
