using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ThrottleCluster.Api.Accounts;
using ThrottleCluster.Api.Tests.Support;
using ThrottleCluster.Tests.Support;
using Xunit.Abstractions;

namespace ThrottleCluster.Api.Tests;

public sealed class AccountDirectoryTests(ITestOutputHelper output)
{
    private static async Task<FileAccountDirectory> Load(string json)
        => await FileAccountDirectory.LoadAsync(new MemoryStream(Encoding.UTF8.GetBytes(json)));

    [Fact]
    public async Task Finds_by_normalized_email_and_by_account_id()
    {
        var directory = await Load(ApiFactory.AccountsJson);
        Assert.Equal("acct-alice", (await directory.FindAsync(" ALICE@Example.COM ", default))?.AccountId);
        Assert.Equal("Bob@Example.com", (await directory.FindAsync("bob@example.com", default))?.Email);
        Assert.Equal("acct-bob", (await directory.FindAsync("acct-bob", default))?.AccountId);
        Assert.Null(await directory.FindAsync("ACCT-BOB", default)); // ids are exact
        Assert.Null(await directory.FindAsync("nobody@example.com", default));
    }

    [Fact]
    public async Task Unusable_and_repeated_records_are_skipped()
    {
        var directory = await Load("""
            [
              { "accountId": "ok", "email": "ok@example.com" },
              { "accountId": "dup", "email": "OK@example.com" },
              { "accountId": "ok", "email": "other@example.com" },
              { "accountId": "crlf", "email": "x@example.com\r\nBcc: y@example.com" },
              { "accountId": "named", "email": "X <x@example.com>" },
              { "accountId": "", "email": "empty@example.com" },
              { "accountId": "sp ace", "email": "space@example.com" },
              { "email": "noid@example.com" },
              null,
              { "accountId": "fine", "email": "fine@example.com", "extra": [1, 2] }
            ]
            """);
        Assert.Equal(2, directory.Count);
        Assert.NotNull(await directory.FindAsync("fine@example.com", default));
        Assert.Equal("ok", (await directory.FindAsync("ok@example.com", default))?.AccountId);
    }

    [Fact]
    public async Task A_file_that_is_not_an_array_of_accounts_is_refused()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => Load("""{ "accountId": "a" }"""));
        Assert.Contains("Accounts:File", error.Message);
    }

    [Fact]
    public async Task A_million_accounts_load_and_resolve()
    {
        const int count = 1_000_000;
        var path = Path.Combine(Path.GetTempPath(), $"tc-accounts-{Guid.NewGuid():N}.json");
        try
        {
            var watch = Stopwatch.StartNew();
            await using (var writer = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 16))
            {
                await writer.WriteAsync('[');
                for (var i = 0; i < count; i++)
                {
                    if (i > 0) await writer.WriteAsync(",\n");
                    await writer.WriteAsync($"{{\"accountId\":\"acct-{i:D7}\",\"email\":\"User.{i}@Domain{i % 997}.example.com\"}}");
                }
                await writer.WriteAsync(']');
            }
            output.WriteLine($"wrote {new FileInfo(path).Length / 1e6:0.0} MB in {watch.ElapsedMilliseconds} ms");

            var directory = new FileAccountDirectory(path);
            await ((IHostedService)directory).StartAsync(default);
            output.WriteLine($"loaded {directory.Count} accounts in {directory.LastLoad!.Elapsed.TotalMilliseconds:0} ms (skipped {directory.LastLoad.Skipped})");

            Assert.Equal(count, directory.Count);
            foreach (var i in new[] { 0, 1, 499_999, 999_999 })
            {
                Assert.Equal($"acct-{i:D7}", (await directory.FindAsync($"user.{i}@domain{i % 997}.example.com", default))?.AccountId);
                Assert.Equal($"User.{i}@Domain{i % 997}.example.com", (await directory.FindAsync($"acct-{i:D7}", default))?.Email);
            }
            Assert.Null(await directory.FindAsync("user.1000000@domain0.example.com", default));
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>A host application's lookup endpoint on a real Kestrel server.</summary>
    private sealed class LookupServer : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private LookupServer(WebApplication app) => _app = app;

        public int Calls;

        public string Url(string path) => _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + path;

        public static async Task<LookupServer> StartAsync()
        {
            var builder = WebApplication.CreateBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
            var app = builder.Build();
            var server = new LookupServer(app);
            app.MapGet("/accounts", (string login) =>
            {
                Interlocked.Increment(ref server.Calls);
                return login == "alice@example.com" || login == "acct-alice"
                    ? Results.Json(new { accountId = "acct-alice", email = "alice@example.com" })
                    : Results.NotFound();
            });
            app.MapGet("/accounts/{login}", (string login) => login == "acct-alice"
                ? Results.Json(new { accountId = "acct-alice", email = "alice@example.com" })
                : Results.NotFound());
            app.MapGet("/slow", async () =>
            {
                await Task.Delay(3000);
                return Results.NotFound();
            });
            app.MapGet("/broken", () => Results.StatusCode(500));
            app.MapGet("/evil", () => Results.Json(new { accountId = "acct-evil", email = "evil@example.com\r\nBcc: victim@example.net" }));
            await app.StartAsync();
            return server;
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }

    [Fact]
    public async Task The_HTTP_lookup_maps_200_404_and_failures()
    {
        await using var server = await LookupServer.StartAsync();
        using var http = new HttpClient();
        var timeout = TimeSpan.FromMilliseconds(500);
        var directory = new HttpAccountDirectory(http, server.Url("/accounts"), timeout);
        Assert.Equal(new Account("acct-alice", "alice@example.com"), await directory.FindAsync(" alice@example.com ", default));
        Assert.Null(await directory.FindAsync("nobody@example.com", default));
        Assert.Equal("acct-alice", (await new HttpAccountDirectory(http, server.Url("/accounts/{login}"), timeout).FindAsync("acct-alice", default))?.AccountId);

        var watch = Stopwatch.StartNew();
        await Assert.ThrowsAsync<AccountDirectoryException>(async () => await new HttpAccountDirectory(http, server.Url("/slow"), timeout).FindAsync("x", default));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2.5), $"the lookup took {watch.Elapsed}");
        await Assert.ThrowsAsync<AccountDirectoryException>(async () => await new HttpAccountDirectory(http, server.Url("/broken"), timeout).FindAsync("x", default));
        await Assert.ThrowsAsync<AccountDirectoryException>(async () => await new HttpAccountDirectory(http, server.Url("/evil"), timeout).FindAsync("x", default));
        await Assert.ThrowsAsync<AccountDirectoryException>(async () => await new HttpAccountDirectory(http, "http://127.0.0.1:1/none", timeout).FindAsync("x", default));
    }

    [Fact]
    public async Task The_Api_resolves_through_the_HTTP_lookup_and_answers_503_when_it_is_down()
    {
        await using var lookup = await LookupServer.StartAsync();
        await using (var api = await ApiServer.StartAsync(new Dictionary<string, string?> { ["Accounts:LookupUrl"] = lookup.Url("/accounts") }))
        {
            using var client = api.CreateClient();
            var existing = await client.PostAsJsonAsync("/v1/password-resets", new { login = "alice@example.com" });
            var missing = await client.PostAsJsonAsync("/v1/password-resets", new { login = "nobody@example.com" });
            Assert.Equal(HttpStatusCode.Accepted, existing.StatusCode);
            Assert.Equal(await existing.Content.ReadAsStringAsync(), await missing.Content.ReadAsStringAsync());
            Assert.Equal(2, lookup.Calls);
            await Eventually.HoldsAsync(() => api.MailFiles().Count > 0, "the email for the account the lookup found", TimeSpan.FromSeconds(20));
            Assert.Equal("alice@example.com", Eml.Read(Assert.Single(api.MailFiles())).Headers["To"]);
        }
        await using (var api = await ApiServer.StartAsync(new Dictionary<string, string?> { ["Accounts:LookupUrl"] = lookup.Url("/broken") }))
        {
            using var client = api.CreateClient();
            var answer = await client.PostAsJsonAsync("/v1/password-resets", new { login = "alice@example.com" });
            Assert.Equal(HttpStatusCode.ServiceUnavailable, answer.StatusCode);
            Assert.Equal("application/problem+json", answer.Content.Headers.ContentType?.MediaType);
        }
    }
}
