using System.Globalization;

namespace ThrottleCluster.Hosting;

/// <summary>
/// Where and how often a host pushes its metrics over OTLP/HTTP (protobuf): <c>Telemetry:OtlpEndpoint</c>
/// and <c>Telemetry:OtlpExportInterval</c>, validated when the host is built.
/// </summary>
public sealed record OtlpExportSettings(Uri? Endpoint, TimeSpan Interval)
{
    public const string EndpointKey = "Telemetry:OtlpEndpoint";
    public const string IntervalKey = "Telemetry:OtlpExportInterval";
    public const string MetricsPath = "v1/metrics";
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(15);

    /// <exception cref="InvalidOperationException">A setting is invalid; the message names the key and the value.</exception>
    public static OtlpExportSettings Read(IConfiguration configuration)
        => new(MetricsEndpoint(configuration[EndpointKey]), ExportInterval(configuration[IntervalKey]));

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
