using System.Diagnostics.Metrics;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace ThrottleCluster.Hosting;

/// <summary>
/// A host's metrics through OpenTelemetry: the product's meters beside Orleans', ASP.NET Core's and
/// the runtime's, scraped at <c>/metrics</c> through OpenTelemetry's Prometheus exporter and pushed
/// over OTLP when <see cref="OtlpExportSettings.EndpointKey"/> is set. The meter provider is the
/// host's: started with it, flushed and disposed when it stops.
/// </summary>
public static class HostTelemetry
{
    /// <summary>Every meter of the product (<c>ThrottleCluster.Decisions</c>, <c>ThrottleCluster.Grains</c>...).</summary>
    public const string ProductMeters = "ThrottleCluster.*";

    /// <summary>Orleans' own meter: messaging, grain calls, activations, membership, storage.</summary>
    public const string OrleansMeter = "Microsoft.Orleans";

    public const string MetricsPath = "/metrics";

    /// <summary>
    /// The runtime's gauges whose names end in <c>.count</c>: Prometheus keeps <c>_count</c> for
    /// histograms and summaries.
    /// </summary>
    private static readonly Dictionary<string, string> RuntimeRenames = new(StringComparer.Ordinal)
    {
        ["dotnet.assembly.count"] = "dotnet.assemblies",
        ["dotnet.process.cpu.count"] = "dotnet.process.cpus",
        ["dotnet.timer.count"] = "dotnet.timers",
    };

    /// <summary>
    /// Kestrel's tags but its own listening address and port (<c>server.address</c>): the scrape
    /// target already says which server, and <c>/metrics</c> shows no address.
    /// </summary>
    private static readonly string[] KestrelTags =
        ["error.type", "network.protocol.name", "network.protocol.version", "network.transport", "network.type", "tls.protocol.version"];

    /// <summary>Idempotent: an Api hosting a silo registers it once however many parts ask.</summary>
    /// <exception cref="InvalidOperationException">An OTLP setting is invalid; the message names the key and the value.</exception>
    public static IServiceCollection AddHostTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        if (services.Any(d => d.ServiceType == typeof(OtlpExportSettings))) return services;
        var otlp = OtlpExportSettings.Read(configuration);
        services.AddSingleton(otlp);
        OrleansMetricConventions.EnsureStarted();
        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddDetector(sp => new HostResource(sp.GetRequiredService<IHostEnvironment>())))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(ProductMeters, OrleansMeter)
                    .AddView(View)
                    .AddAspNetCoreInstrumentation()
                    .AddRuntimeInstrumentation()
                    // A scrape reads the meters as they are now, not as they were a moment ago.
                    .AddPrometheusExporter(exporter => exporter.ScrapeResponseCacheDurationMilliseconds = 0);
                if (otlp.Endpoint is { } endpoint)
                    metrics.AddOtlpExporter((exporter, reader) =>
                    {
                        exporter.Protocol = OtlpExportProtocol.HttpProtobuf;
                        exporter.Endpoint = endpoint;
                        reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = (int)otlp.Interval.TotalMilliseconds;
                    });
            });
        return services;
    }

    /// <summary><c>GET /metrics</c> in the Prometheus text format, open like <c>/healthz</c>: aggregates, never an email or an address.</summary>
    public static IEndpointConventionBuilder MapMetrics(this IEndpointRouteBuilder endpoints)
        => endpoints.MapPrometheusScrapingEndpoint(MetricsPath).WithMetadata(new HttpMethodMetadata([HttpMethods.Get]));

    /// <summary>An instrument's description, or one made of its name when it has none (Prometheus' HELP line).</summary>
    internal static string Describe(Instrument instrument)
    {
        if (instrument.Description is { Length: > 0 } own) return own;
        return instrument.Meter.Name == OrleansMeter
            ? $"Orleans' {instrument.Name}{(instrument.Unit is "ms" ? ", in seconds" : "")}."
            : $"{instrument.Meter.Name}'s {instrument.Name}.";
    }

    private static MetricStreamConfiguration? View(Instrument instrument)
    {
        if (OrleansMetricConventions.IsReplaced(instrument)) return MetricStreamConfiguration.Drop;
        if (instrument.Meter.Name == "Microsoft.AspNetCore.Server.Kestrel")
            return new MetricStreamConfiguration { TagKeys = KestrelTags };
        if (RuntimeRenames.TryGetValue(instrument.Name, out var name)) return new MetricStreamConfiguration { Name = name };
        if (string.IsNullOrEmpty(instrument.Description)) return new MetricStreamConfiguration { Description = Describe(instrument) };
        return null;
    }

    /// <summary><c>service.name</c> is the program (<c>ThrottleCluster.Silo</c>, <c>ThrottleCluster.Api</c>).</summary>
    private sealed class HostResource(IHostEnvironment environment) : IResourceDetector
    {
        public Resource Detect() => ResourceBuilder.CreateEmpty().AddService(environment.ApplicationName).Build();
    }
}
