using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using ThrottleCluster.Grains.Abstractions;
using Orleans.Runtime;
using ThrottleCluster.Hosting;

namespace ThrottleCluster.Cli.Tests.Support;

/// <summary>
/// One real silo (the Silo's own Program, memory storage) on a loopback port, for the CLI to talk
/// to over HTTP. Tests sharing it use targets of their own.
/// </summary>
public sealed class SiloFixture : IAsyncLifetime
{
    public const string ApiKey = "cli-test-admin-key-0123456789";
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private SiloHost _silo = null!;

    /// <summary>The silo's HTTP base address, as an operator gives it to <c>--silo</c>.</summary>
    public string Address => _silo.Address.ToString();

    /// <summary>The Orleans silo address, which names the silo in its admin answers (each silo keeps its own audit trail).</summary>
    public string SiloAddress => _silo.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress.ToString();

    /// <summary>The options every admin command needs, to put before or after its own arguments.</summary>
    public string[] Connection => ["--silo", Address, "--api-key", ApiKey];

    public Task InitializeAsync()
    {
        _silo = SiloHost.Start(new Dictionary<string, string>
        {
            [AdminApiKey.ConfigurationKey] = ApiKey,
            [DecisionApi.AccountHashSecretKey] = "0x5eed5eed5eed5eed",
        });
        return Task.CompletedTask;
    }

    /// <summary>Runs the CLI against this silo: <paramref name="args"/> then <see cref="Connection"/>.</summary>
    public Task<CliResult> RunAsync(params string[] args) => CliRun.RunAsync([.. args, .. Connection]);

    public Task<string> OkAsync(params string[] args) => CliRun.OkAsync([.. args, .. Connection]);

    /// <summary>A reset decision taken by the silo, as a gateway would ask for it.</summary>
    public async Task<JsonElement> DecideAsync(string clientIp, string login)
    {
        using var response = await _http.PostAsJsonAsync(new Uri(_silo.Address, "/v1/decisions"), new { clientIp, login });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>The audit key the silo gives a target: what an operator sees instead of the raw value.</summary>
    public string AuditKeyOfIp(string address) => _silo.Services.GetRequiredService<AuditTrail>().Keys.Ip(address);

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _silo.DisposeAsync();
    }
}
