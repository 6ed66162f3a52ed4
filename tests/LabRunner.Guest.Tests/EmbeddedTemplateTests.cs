using System.Diagnostics;
using System.Runtime.CompilerServices;
using LabRunner.Guest.Templates;

namespace LabRunner.Guest.Tests;

public class EmbeddedTemplateTests
{
    [Fact]
    public void The_binary_carries_every_default_template_as_in_the_repository()
    {
        var root = Path.Combine(RepositoryRoot(), "templates");
        foreach (var name in TemplateNames.All)
        {
            var embedded = EmbeddedTemplateSource.Instance.Find(name);
            Assert.NotNull(embedded);
            Assert.Equal($"<built-in>/templates/{name}", embedded.DisplayPath);
            Assert.Equal(File.ReadAllText(Path.Combine(root, name)), embedded.Text);
        }
        Assert.Equal(TemplateNames.All.Order(), EmbeddedTemplateSource.Instance.Names.Order());
    }

    [Fact]
    public void A_template_the_project_lacks_comes_from_the_defaults()
    {
        Assert.Null(new InMemoryTemplateSource([]).Find(TemplateNames.UserData));
        Assert.False(Labs.Render(Labs.SingleNat, renderer: new GuestConfigRenderer(new InMemoryTemplateSource([]))).HasErrors);
    }

    internal static string RepositoryRoot([CallerFilePath] string thisFile = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(thisFile)!, "..", ".."));
}
