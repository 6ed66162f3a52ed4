using LabRunner.Core.Hosting;
using LabRunner.Core.Providers;

namespace LabRunner.Cli.Tests.TinyProvider;

/// <summary>The tiny provider's one entry in a catalog: all a provider needs to be chosen, planned for and previewed.</summary>
internal sealed class TinyProviderDescriptor : ProviderDescriptor
{
    public const string ProviderName = "tiny";

    public static TinyProviderDescriptor Instance { get; } = new();

    public override string Name => ProviderName;

    public override string Summary => "a test's host that changes nothing";

    public override string Title => "a tiny test host";

    public override HostRules Rules => TinyRules.Instance;

    public override BoxSupport Boxes { get; } = new("tiny", ["raw"], ["tiny"]);

    public override string WhyNotDefaultHere(ProviderEnvironment environment) => "the tiny host is used only by name";

    public override ProviderHost Open(ProviderEnvironment environment) =>
        new(new TinyHost(), Path.Combine(environment.WorkingDirectory, ".lab", "tiny.lock"));
}
