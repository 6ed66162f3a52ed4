using System.Collections.Immutable;

namespace LabRunner.Core.Providers;

/// <summary>
/// The providers this LabRunner knows, in the order their names are listed and their default is probed. The CLI
/// composes it once; everything that chooses or lists a provider asks it, so no code switches on a provider's name.
/// </summary>
public sealed class ProviderCatalog
{
    /// <summary>The environment variable that names the provider when <c>--provider</c> does not.</summary>
    public const string ProviderVariable = "LABRUNNER_PROVIDER";

    public ProviderCatalog(IEnumerable<ProviderDescriptor> providers)
    {
        ArgumentNullException.ThrowIfNull(providers);
        Providers = [.. providers];
        if (Providers.IsEmpty) throw new ArgumentException("A catalog lists at least one provider.", nameof(providers));
        var twice = Providers.GroupBy(p => p.Name, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        if (twice is not null) throw new ArgumentException($"Two providers are named '{twice.Key}'.", nameof(providers));
    }

    public ImmutableArray<ProviderDescriptor> Providers { get; }

    public IEnumerable<string> Names => Providers.Select(p => p.Name);

    /// <summary>The same catalog with <paramref name="provider"/> added last.</summary>
    public ProviderCatalog With(ProviderDescriptor provider) => new(Providers.Add(provider));

    /// <summary>The provider of that name (any case), or null.</summary>
    public ProviderDescriptor? Find(string? name) =>
        Providers.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// The provider named by <paramref name="option"/> (<c>--provider</c>) or <c>LABRUNNER_PROVIDER</c>; with none
    /// named, the first whose <see cref="ProviderDescriptor.WhyNotDefaultHere"/> finds it usable here.
    /// </summary>
    /// <exception cref="ProviderException">An unknown name, or none named and none usable here (saying why and what stands in).</exception>
    public ProviderDescriptor Resolve(string? option, ProviderEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var name = Named(option, environment);
        if (string.IsNullOrEmpty(name)) return Default(environment);
        return Find(name) ?? throw new ProviderException($"unknown provider '{name}'; use {OneOf(Names)}");
    }

    /// <summary>
    /// The provider a lab is planned for without reaching its host (<c>lab plan</c>'s names, <c>validate</c>): the one
    /// named; with none named, the default here, or with none usable here the first (the Labfile's home). An unknown
    /// name is an error, or with <paramref name="refuseUnknown"/> false also the first (the host command that needs
    /// the host refuses it).
    /// </summary>
    public ProviderDescriptor ForPlanning(string? option, ProviderEnvironment environment, bool refuseUnknown = true)
    {
        ArgumentNullException.ThrowIfNull(environment);
        if (string.IsNullOrEmpty(Named(option, environment)))
            return Usable(environment) ?? Providers[0];
        return refuseUnknown ? Resolve(option, environment) : Find(Named(option, environment)) ?? Providers[0];
    }

    /// <summary>
    /// The boxes a command line adds and uses: the named provider's (an unknown name: the first's); with none named,
    /// the default's here, or with none usable here the one whose home this OS is (<see cref="ProviderDescriptor.HomeHere"/>).
    /// </summary>
    public BoxSupport BoxesFor(string? option, ProviderEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var name = Named(option, environment);
        var provider = string.IsNullOrEmpty(name)
            ? Usable(environment) ?? Providers.FirstOrDefault(p => p.HomeHere)
            : Find(name);
        return (provider ?? Providers[0]).Boxes;
    }

    /// <summary>Every distinct box support of the catalog (providers that boot the same disks share one).</summary>
    public IEnumerable<BoxSupport> BoxSupports => Providers.Select(p => p.Boxes).Distinct();

    private ProviderDescriptor? Usable(ProviderEnvironment environment) =>
        Providers.FirstOrDefault(p => p.StandInHint is null && p.WhyNotDefaultHere(environment) is null);

    private static string? Named(string? option, ProviderEnvironment environment) => option ?? environment.GetVariable(ProviderVariable);

    private ProviderDescriptor Default(ProviderEnvironment environment)
    {
        var reasons = new List<string>();
        foreach (var provider in Providers.Where(p => p.StandInHint is null))
        {
            if (provider.WhyNotDefaultHere(environment) is not { } why) return provider;
            reasons.Add(why);
        }
        var standIns = Providers.Select(p => p.StandInHint).OfType<string>();
        throw new ProviderException(string.Join(" ", standIns.Prepend(string.Join(", and ", reasons) + ".")));
    }

    /// <summary>"a", "a or b", "a, b or c".</summary>
    public static string OneOf(IEnumerable<string> words)
    {
        ArgumentNullException.ThrowIfNull(words);
        var list = words.ToList();
        return list.Count <= 1 ? string.Concat(list) : $"{string.Join(", ", list.Take(list.Count - 1))} or {list[^1]}";
    }
}
