using ThrottleCluster.Tests.Support;

namespace ThrottleCluster.Api.Tests.Support;

/// <summary>Where the hosts' own build output is: the same configuration and framework as this test build.</summary>
public static class HostBuilds
{
    /// <param name="project">The folder under src, e.g. <c>Api</c> or <c>Silo</c>.</param>
    public static string OutputDirectory(string project)
    {
        var testBin = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var bin = Path.Combine(NpmPackages.RepositoryRoot(), "src", project, "bin", testBin.Parent!.Name, testBin.Name);
        if (!File.Exists(Path.Combine(bin, "appsettings.json"))) throw new DirectoryNotFoundException($"No build of src/{project} in {bin}.");
        return bin;
    }
}
