using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace ThrottleCluster.Hosting;

/// <summary>
/// Pushes this process's meters whose name starts with <see cref="MeterPrefix"/> (the ones
/// <see cref="PrometheusMetrics"/> renders) to an OpenTelemetry collector over OTLP/HTTP protobuf,
/// when <c>Telemetry:OtlpEndpoint</c> is set. The meter provider lives and dies with the host:
/// started with it, flushed and disposed when it stops. (OpenTelemetry.Extensions.Hosting does not
/// restore here, so the provider is built with the SDK directly.)
/// </summary>
public sealed class OtlpMetricExport : IHostedService, IDisposable
{
    public const string EndpointKey = "Telemetry:OtlpEndpoint";
    public const string IntervalKey = "Telemetry:OtlpExportInterval";
    public const string MeterPrefix = "ThrottleCluster";
    public const string MetricsPath = "v1/metrics";
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(15);

    private readonly string _serviceName;
    private MeterProvider? _provider;

    /// <exception cref="InvalidOperationException">A setting is invalid; the message names the key and the value.</exception>
    public OtlpMetricExport(IConfiguration configuration, IHostEnvironment environment)
    {
        _serviceName = environment.ApplicationName;
        Endpoint = MetricsEndpoint(configuration[EndpointKey]);
        Interval = ExportInterval(configuration[IntervalKey]);
    }

    /// <summary>Where metrics are posted (the configured base URL plus <c>/v1/metrics</c>), or null when export is off.</summary>
    public Uri? Endpoint { get; }

    public TimeSpan Interval { get; }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (Endpoint is not { } endpoint) return Task.CompletedTask;
        _provider = Sdk.CreateMeterProviderBuilder()
            .ConfigureResource(resource => resource.AddService(_serviceName))
            .AddMeter(MeterPrefix + "*")
            .AddOtlpExporter((exporter, reader) =>
            {
                exporter.Protocol = OtlpExportProtocol.HttpProtobuf;
                exporter.Endpoint = endpoint;
                reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = (int)Interval.TotalMilliseconds;
            })
            .Build();
        return Task.CompletedTask;
    }

    /// <summary>Flushes what was measured since the last export, then stops exporting.</summary>
    public Task StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose() => Interlocked.Exchange(ref _provider, null)?.Dispose();

    /// <summary>
    /// A base URL as in <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> (<c>http://collector:4318</c>) gets the
    /// signal path appended; a URL already ending in <c>/v1/metrics</c> is used as it is.
    /// </summary>
    private static Uri? MetricsEndpoint(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        if (!Uri.TryCreate(text.Trim(), UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.Query.Length > 0 || uri.Fragment.Length > 0)
            throw new InvalidOperationException($"{EndpointKey} must be an absolute http or https URL such as http://127.0.0.1:4318 (was '{text}').");
        var path = uri.AbsolutePath.TrimEnd('/');
        return path.EndsWith("/" + MetricsPath, StringComparison.Ordinal)
            ? uri
            : new UriBuilder(uri) { Path = path + "/" + MetricsPath }.Uri;
    }

    private static TimeSpan ExportInterval(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return DefaultInterval;
        if (TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var interval) && interval >= TimeSpan.FromMilliseconds(100) && interval <= TimeSpan.FromHours(1))
            return interval;
        throw new InvalidOperationException($"{IntervalKey} must be a time span from 00:00:00.1 to 01:00:00 (was '{text}').");
    }
}

public static class OtlpMetricExportServiceCollectionExtensions
{
    /// <summary>Idempotent: an Api hosting a silo registers it once however many parts ask.</summary>
    public static IServiceCollection AddOtlpMetricExport(this IServiceCollection services)
        => services.AddHostedService<OtlpMetricExport>();
}
