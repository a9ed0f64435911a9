using System.Collections.Concurrent;
using System.Diagnostics;

namespace ThrottleCluster.Tests.Support;

/// <summary>
/// Node.js servers the tests run (SMTP, Azurite), installed from their lock files once per checkout.
/// Test projects run as parallel processes: a file lock keeps a second <c>npm ci</c> from deleting the
/// first one's node_modules, and a marker written after a complete install keeps a process from
/// starting a package another process is still installing.
/// </summary>
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
        await using var installLock = await LockAsync(Path.Combine(directory, ".npm-install.lock"));
        var installed = Path.Combine(directory, "node_modules", ".installed-from-lock-file");
        if (File.Exists(installed)) return;
        var npm = Process.Start(new ProcessStartInfo("npm", "ci --no-audit --no-fund") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true })
                  ?? throw new InvalidOperationException("npm could not be started; install Node.js and npm (Debian: apt-get install nodejs npm).");
        var output = npm.StandardOutput.ReadToEndAsync();
        var error = npm.StandardError.ReadToEndAsync();
        await npm.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(5));
        if (npm.ExitCode != 0) throw new InvalidOperationException($"npm ci failed in {directory}: {await output} {await error}");
        await File.WriteAllTextAsync(installed, "");
    }

    /// <summary>Held while the returned stream is open; the operating system drops it when the process dies.</summary>
    private static async Task<FileStream> LockAsync(string path)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(6);
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }
        }
    }
}
