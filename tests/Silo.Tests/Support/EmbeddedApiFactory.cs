extern alias ApiHost;

using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Logging;

namespace ThrottleCluster.Silo.Tests.Support;

/// <summary>
/// The Api's own Program in-process, embedded (its own silo, memory storage), with the silo tests'
/// admin key and secret, ports of its own, and reset emails written to a directory of its own.
/// </summary>
public sealed class EmbeddedApiFactory : WebApplicationFactory<ApiHost::Program>
{
    private readonly DirectoryInfo _mail = Directory.CreateTempSubdirectory("throttlecluster-silo-tests-mail-");

    /// <summary>As <see cref="SiloFactory.Settings"/>; <c>null</c> removes a value.</summary>
    public Dictionary<string, string?> Settings { get; } = SiloFactory.DefaultSettings();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Production");
        builder.UseSetting("Email:PickupDirectory", _mail.FullName);
        foreach (var (key, value) in Settings)
        {
            if (value is not null) builder.UseSetting(key, value);
        }
        builder.ConfigureLogging(logging => logging.ClearProviders());
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        _mail.Delete(recursive: true);
    }
}
