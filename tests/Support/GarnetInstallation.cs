namespace ThrottleCluster.Tests.Support;

/// <summary>Where the Garnet server pinned in the repository's tool manifest is installed.</summary>
public static class GarnetInstallation
{
    public const string Version = "2.2.8";
    public const string ServerDllVariable = "GARNET_SERVER_DLL";

    public static string ServerDll()
    {
        var configured = Environment.GetEnvironmentVariable(ServerDllVariable);
        if (!string.IsNullOrEmpty(configured))
        {
            return File.Exists(configured)
                ? configured
                : throw new FileNotFoundException($"{ServerDllVariable} is set to '{configured}', which does not exist.", configured);
        }

        var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } root
            ? root
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var dll = Path.Combine(packages, "garnet-server", Version, "tools", "net10.0", "any", "GarnetServer.dll");
        return File.Exists(dll)
            ? dll
            : throw new FileNotFoundException(
                $"Garnet {Version} is not installed at '{dll}'. Run `dotnet tool restore` in the repository, or set {ServerDllVariable} to a GarnetServer.dll.", dll);
    }

    /// <summary>The dotnet host that runs this process's build and tests, else the one on PATH.</summary>
    public static string DotnetHost()
        => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
}
