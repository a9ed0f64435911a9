using System.Net;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;
using ThrottleCluster.Grains;
using ThrottleCluster.Silo.Tests.Support;

namespace ThrottleCluster.Silo.Tests;

/// <summary>
/// Secrets and personal data: the admin key and reset-token hashes are compared with
/// <see cref="CryptographicOperations.FixedTimeEquals"/> (read from the compiled code: no timing
/// assertion can be trusted on a shared machine); the admin key, emails and client addresses never
/// reach a log at any level (Orleans' own debug and trace included: grain keys are keyed hashes), nor /metrics.
/// </summary>
public sealed class HostileSecretsTests
{
    /// <summary>Every method a method body calls directly (call, callvirt and newobj tokens).</summary>
    private static IReadOnlyList<MethodBase> Callees(MethodBase method)
    {
        var il = method.GetMethodBody()!.GetILAsByteArray()!;
        var callees = new List<MethodBase>();
        for (var i = 0; i + 4 < il.Length; i++)
        {
            if (il[i] is not (0x28 or 0x6F or 0x73)) continue;
            try
            {
                var generic = method.DeclaringType?.IsGenericType == true ? method.DeclaringType.GetGenericArguments() : null;
                if (method.Module.ResolveMethod(BitConverter.ToInt32(il, i + 1), generic, null) is { } callee) callees.Add(callee);
            }
            catch (ArgumentException)
            {
                // Not a method token: the byte was an operand, not an opcode.
            }
        }
        return callees;
    }

    /// <summary>The body that really runs: an async method's state machine.</summary>
    private static MethodBase Body(MethodInfo method)
        => method.GetCustomAttribute<AsyncStateMachineAttribute>() is { } async
            ? async.StateMachineType.GetMethod("MoveNext", BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public)!
            : method;

    private static bool CallsFixedTimeEquals(MethodBase method)
        => Callees(method).Any(m => m.DeclaringType == typeof(CryptographicOperations) && m.Name == nameof(CryptographicOperations.FixedTimeEquals));

    [Fact]
    public void The_admin_key_is_compared_through_FixedTimeEquals_of_hashes()
    {
        var secretsMatch = typeof(Secrets).GetMethod(nameof(Secrets.Match))!;
        Assert.True(CallsFixedTimeEquals(secretsMatch));
        Assert.Contains(Callees(secretsMatch), m => m.DeclaringType == typeof(SHA256) && m.Name == nameof(SHA256.HashData));
        // No ordinary string comparison next to it that could answer early.
        Assert.DoesNotContain(Callees(secretsMatch), m => m.DeclaringType == typeof(string) && m.Name is "Equals" or "op_Equality" or "CompareOrdinal" or "StartsWith");
        var adminGuard = Body(typeof(AdminApiKey).GetMethod(nameof(AdminApiKey.GuardAsync), BindingFlags.Static | BindingFlags.NonPublic)!);
        Assert.Contains(Callees(adminGuard), m => m == secretsMatch);
        Assert.DoesNotContain(Callees(adminGuard), m => m.DeclaringType == typeof(string) && m.Name is "Equals" or "op_Equality");

        Assert.True(Secrets.Match("key-0123", "key-0123"));
        foreach (var wrong in new[] { "", "key-012", "key-01234", "KEY-0123", "key-0124", " key-0123", "key-0123\0" })
            Assert.False(Secrets.Match(wrong, "key-0123"), wrong);
    }

    [Fact]
    public void Reset_token_hashes_are_compared_through_FixedTimeEquals()
        => Assert.True(CallsFixedTimeEquals(typeof(ResetTokenLogic).GetMethod(nameof(ResetTokenLogic.Apply))!));

    private static (WebApplicationFactoryWithLogs Host, HostileTraceLogs Logs) TracedSilo(SiloFactory silo)
    {
        var logs = new HostileTraceLogs();
        var host = silo.WithWebHostBuilder(builder => builder.ConfigureLogging(logging =>
        {
            logging.SetMinimumLevel(LogLevel.Trace);
            logging.AddProvider(logs);
            // A rule for this provider wins over the host's Logging section ("Microsoft.AspNetCore": Warning).
            logging.AddFilter<HostileTraceLogs>(null, LogLevel.Trace);
        }));
        return (new WebApplicationFactoryWithLogs(host), logs);
    }

    /// <summary>Owns the derived factory so a test can dispose it with <c>await using</c>.</summary>
    private sealed class WebApplicationFactoryWithLogs(Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Program> factory) : IAsyncDisposable
    {
        public HttpClient CreateClient() => factory.CreateClient();

        public ValueTask DisposeAsync() => factory.DisposeAsync();
    }

    [Fact]
    public async Task The_admin_key_right_or_wrong_never_reaches_a_log_at_any_level()
    {
        await using var silo = new SiloFactory();
        var (host, logs) = TracedSilo(silo);
        await using var _ = host;
        using var client = host.CreateClient();
        var keys = new[] { SiloFactory.ApiKey, SiloFactory.ApiKey + "-wrong", "prefix-" + SiloFactory.ApiKey, SiloFactory.ApiKey[..^1] };
        foreach (var key in keys)
        {
            using (var r = await client.GetAsync("/v1/admin/policy", apiKey: key)) Assert.Contains(r.StatusCode, new[] { HttpStatusCode.OK, HttpStatusCode.Unauthorized });
            using (var r = await client.GetAsync("/v1/admin/audit?hours=1", apiKey: key)) Assert.Contains(r.StatusCode, new[] { HttpStatusCode.OK, HttpStatusCode.Unauthorized });
            using (var r = await client.SendJsonAsync(HttpMethod.Put, "/v1/admin/lists", """{"scope":"domain","target":"keys.example","mode":"Block","expiresInSeconds":60}""", key))
                Assert.Contains(r.StatusCode, new[] { HttpStatusCode.OK, HttpStatusCode.Unauthorized });
            using (var r = await client.SendJsonAsync(HttpMethod.Put, "/v1/admin/policy", "{\"account\":null}", key))
                Assert.Contains(r.StatusCode, new[] { HttpStatusCode.BadRequest, HttpStatusCode.Unauthorized });
        }
        Assert.True(logs.Count > 10, "the trace logger saw almost nothing: the test would prove nothing");
        Assert.DoesNotContain(SiloFactory.ApiKey[..^1], logs.AllText);
    }

    [Fact]
    public async Task Decisions_and_gateway_checks_log_no_email_or_address_at_any_level_nor_show_them_in_metrics()
    {
        await using var silo = new SiloFactory();
        var (host, logs) = TracedSilo(silo);
        await using var _ = host;
        using var client = host.CreateClient();
        var emails = Enumerable.Range(0, 30).Select(i => $"leakcheck.victim{i:00}@leak-victims.example").ToList();
        var addresses = Enumerable.Range(0, 30).Select(i => $"198.18.{77 + i % 3}.{100 + i}").ToList();
        var refused = new List<string>();
        for (var i = 0; i < emails.Count; i++)
        {
            using (var r = await client.DecideAsync(addresses[i], emails[i])) Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            // Refused input echoes the value to its sender, never to a log.
            var badLogin = $"leakcheck.refused{i:00}{{x}}@leak-victims.example";
            var badIp = $"198.18.250.{i}:{8000 + i}";
            refused.Add(badLogin);
            refused.Add(badIp);
            using (var r = await client.DecideAsync(addresses[i], badLogin)) Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
            using (var r = await client.DecideAsync(badIp, emails[i])) Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
            // A gateway check from a trusted proxy naming the client, past its burst so rejections are audited.
            for (var k = 0; k < 12; k++)
                using (await client.GetAsync("/v1/gateway/check", peer: "127.0.0.1", headers: ("X-Forwarded-For", $"::ffff:{addresses[i]}"))) { }
        }
        var metrics = await client.GetStringAsync("/metrics");
        using (var audit = await client.GetAsync("/v1/admin/audit?hours=1", apiKey: SiloFactory.ApiKey))
        {
            var auditText = await audit.Content.ReadAsStringAsync();
            Assert.True(JsonDocument.Parse(auditText).RootElement.GetProperty("count").GetInt32() > 0, auditText);
            foreach (var value in emails.Concat(addresses)) Assert.DoesNotContain(value, auditText);
        }

        Assert.True(logs.Count > 100, "the trace logger saw almost nothing: the test would prove nothing");
        var logText = logs.AllText;
        foreach (var value in emails.Concat(addresses).Concat(refused).Append("leakcheck"))
        {
            Assert.DoesNotContain(value, logText);
            Assert.DoesNotContain(value, metrics);
        }
    }
}
