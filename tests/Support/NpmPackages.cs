using System.Collections.Concurrent;
using System.Diagnostics;

namespace ThrottleCluster.Tests.Support;

/// <summary>Node.js servers the tests run (SMTP, Azurite), installed from their lock files once per test process.</summary>
public static class NpmPackages
{
    private static readonly ConcurrentDictionary<string, Lazy<Task>> Installed = new(StringComparer.Ordinal);

    /// <summary>The directory beside the tests' binaries that holds <paramref name="name"/>'s package.json, installed.</summary>
    public static async Task<string> InstallAsync(string name)
    {
        var directory = Path.Combine(RepositoryRoot(), "tests", "Support", name);
        await Installed.GetOrAdd(directory, d => new Lazy<Task>(() => RunNpmCiAsync(d))).Value;
        return directory;
    }

    /// <summary>The repository checkout these tests were built from.</summary>
    public static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            if (File.Exists(Path.Combine(directory.FullName, "ThrottleCluster.sln"))) return directory.FullName;
        throw new DirectoryNotFoundException($"No ThrottleCluster.sln above {AppContext.BaseDirectory}.");
    }

    private static async Task RunNpmCiAsync(string directory)
    {
        if (Directory.Exists(Path.Combine(directory, "node_modules"))) return;
        var npm = Process.Start(new ProcessStartInfo("npm", "ci --no-audit --no-fund") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true })
                  ?? throw new InvalidOperationException("npm could not be started; install Node.js and npm (Debian: apt-get install nodejs npm).");
        var output = npm.StandardOutput.ReadToEndAsync();
        var error = npm.StandardError.ReadToEndAsync();
        await npm.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(5));
        if (npm.ExitCode != 0) throw new InvalidOperationException($"npm ci failed in {directory}: {await output} {await error}");
    }
}
