using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

using ThrottleCluster.Tests.Support;

namespace ThrottleCluster.EndToEnd.Tests.Support;

/// <summary>
/// Debian's nginx on 127.0.0.1 (a free port) with everything it writes in a temporary prefix
/// directory: a static page behind <c>auth_request</c> to a silo's <c>/v1/gateway/check</c>.
/// Stopped by process id (with its workers) on dispose; a watchdog shell stops it within a second
/// if the test process dies without disposing.
/// </summary>
public sealed class NginxGateway : IAsyncDisposable
{
    public const string Binary = "/usr/sbin/nginx";
    public const string PageText = "hello from the upstream\n";

    private const string Watchdog = """
        parent=$1; shift
        "$@" & child=$!
        while kill -0 "$parent" 2>/dev/null && kill -0 "$child" 2>/dev/null; do sleep 1; done
        kill -TERM "$child" 2>/dev/null; wait "$child"
        """;

    private readonly Process _process;

    private NginxGateway(Process process, string prefix, int port)
    {
        _process = process;
        Prefix = prefix;
        Address = new Uri($"http://127.0.0.1:{port}/");
    }

    public Uri Address { get; }

    public string Prefix { get; }

    public int ProcessId => _process.Id;

    public string ErrorLog => File.Exists(Path.Combine(Prefix, "error.log")) ? File.ReadAllText(Path.Combine(Prefix, "error.log")) : "";

    /// <summary>
    /// The configuration under test. How a 429 from the check gets to the client: auth_request
    /// itself passes only 401 and 403 through; any other status of the subrequest, 429 included,
    /// makes it fail the request with 500 ("auth request unexpected status"; nginx documentation of
    /// ngx_http_auth_request_module, and nginx/nginx issue #941 asking for more codes). But
    /// auth_request_set variables are set before that status check, and explicitly so that they
    /// survive an internal redirect (ngx_http_auth_request_handler). So: keep the check's status
    /// and Retry-After in variables, send the 500 to a named location with error_page, and there
    /// answer 429 + Retry-After when the check said 429, and 503 for any other failure of the check
    /// (silo unreachable or failing): the gateway fails closed, and only a real throttle is a 429.
    /// realip: the test client stands in for a load balancer in front of nginx on loopback, so its
    /// X-Forwarded-For becomes $remote_addr, which nginx passes to the check as X-Real-IP (the
    /// silo trusts its loopback peer's X-Real-IP).
    /// </summary>
    public static string Configuration(string prefix, int port, Uri check) => $$"""
        daemon off;
        worker_processes 1;
        pid {{prefix}}/nginx.pid;
        error_log {{prefix}}/error.log warn;
        events { worker_connections 64; }
        http {
            access_log {{prefix}}/access.log;
            client_body_temp_path {{prefix}}/tmp/body;
            proxy_temp_path {{prefix}}/tmp/proxy;
            fastcgi_temp_path {{prefix}}/tmp/fastcgi;
            uwsgi_temp_path {{prefix}}/tmp/uwsgi;
            scgi_temp_path {{prefix}}/tmp/scgi;

            set_real_ip_from 127.0.0.1;
            real_ip_header X-Forwarded-For;

            server {
                listen 127.0.0.1:{{port}};
                root {{prefix}}/www;

                location / {
                    auth_request /_check;
                    auth_request_set $gate_status $upstream_status;
                    auth_request_set $gate_retry_after $upstream_http_retry_after;
                    error_page 500 = @gate_refused;
                    try_files /index.html =404;
                }

                location = /_check {
                    internal;
                    proxy_pass {{check}};
                    proxy_pass_request_body off;
                    proxy_set_header Content-Length "";
                    proxy_set_header X-Real-IP $remote_addr;
                }

                location @gate_refused {
                    if ($gate_status = 429) {
                        add_header Retry-After $gate_retry_after always;
                        return 429 "throttled\n";
                    }
                    return 503 "gateway check failed\n";
                }

                # Readiness only: a return-only location never runs auth_request, so it spends nothing.
                location = /_ready { return 204; }
            }
        }
        """;

    public static async Task<NginxGateway> StartAsync(Uri check)
    {
        if (!File.Exists(Binary)) throw new InvalidOperationException($"{Binary} is missing: scripts/test.sh installs Debian's nginx.");
        var prefix = Directory.CreateTempSubdirectory("tc-nginx-").FullName;
        // Workers drop to an unprivileged user when nginx starts as root: let them read the page.
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(prefix, (UnixFileMode)0b111_101_101);
        Directory.CreateDirectory(Path.Combine(prefix, "tmp"));
        Directory.CreateDirectory(Path.Combine(prefix, "www"));
        await File.WriteAllTextAsync(Path.Combine(prefix, "www", "index.html"), PageText);
        var port = LoopbackPort.Free();
        var config = Path.Combine(prefix, "nginx.conf");
        await File.WriteAllTextAsync(config, Configuration(prefix, port, check));

        var start = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in (string[])["-c", Watchdog, "nginx-watchdog", Environment.ProcessId.ToString(CultureInfo.InvariantCulture),
                     Binary, "-p", prefix, "-c", config, "-e", Path.Combine(prefix, "error.log")])
            start.ArgumentList.Add(argument);
        var process = Process.Start(start)!;
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) output.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) output.Enqueue(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var gateway = new NginxGateway(process, prefix, port);
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (true)
            {
                if (process.HasExited)
                    throw new InvalidOperationException($"nginx exited with code {process.ExitCode}: {string.Join(" | ", output)} {gateway.ErrorLog}");
                try
                {
                    using var ready = await http.GetAsync(new Uri(gateway.Address, "/_ready"));
                    if (ready.StatusCode == HttpStatusCode.NoContent) return gateway;
                }
                catch (HttpRequestException)
                {
                }
                catch (TaskCanceledException)
                {
                }
                if (DateTime.UtcNow > deadline) throw new TimeoutException($"nginx did not answer on {gateway.Address}: {string.Join(" | ", output)} {gateway.ErrorLog}");
                await Task.Delay(50);
            }
        }
        catch
        {
            await gateway.DisposeAsync();
            throw;
        }
    }

    public ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(TimeSpan.FromSeconds(10));
            }
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
        try
        {
            Directory.Delete(Prefix, recursive: true);
        }
        catch (IOException)
        {
        }
        return ValueTask.CompletedTask;
    }
}
