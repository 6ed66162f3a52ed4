using LabRunner.Engine.Snapshots;

namespace LabRunner.Engine.Tests.Snapshots;

public sealed class SnapshotNameTests
{
    [Theory]
    [InlineData("s1")]
    [InlineData("before-upgrade")]
    [InlineData("DC_1")]
    [InlineData("2026-12-05")]
    public void A_plain_name_is_accepted(string name) => Assert.Null(SnapshotName.SaveProblem(name));

    [Theory]
    [InlineData("")]
    [InlineData("-x")]
    [InlineData("../x")]
    [InlineData("a b")]
    [InlineData("a*")]
    [InlineData("stack.json")]
    [InlineData("a'b")]
    [InlineData("42")]
    public void A_name_that_is_not_a_plain_word_is_refused(string name) => Assert.NotNull(SnapshotName.Problem(name));

    [Fact]
    public void A_name_longer_than_64_is_refused() => Assert.NotNull(SnapshotName.Problem(new string('a', 65)));

    [Theory]
    [InlineData("push-1", 1)]
    [InlineData("Push-12", 12)]
    public void Push_names_are_the_stack_s_own(string name, int number)
    {
        Assert.Null(SnapshotName.Problem(name));
        Assert.NotNull(SnapshotName.SaveProblem(name));
        Assert.Equal(number, SnapshotName.PushNumber(name));
    }

    [Fact]
    public void A_name_merely_starting_like_a_push_name_is_the_user_s() => Assert.Null(SnapshotName.SaveProblem("push-day"));
}
