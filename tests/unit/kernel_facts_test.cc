#include <doctest/doctest.h>

#include "supervisor/kernel_facts.h"

using vpidbox::parse_task_creds;
using vpidbox::TaskCreds;

TEST_CASE("a task's credentials from its status file") {
  const TaskCreds c = parse_task_creds(
      "Name:\tsh\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t7\nUid:\t65534\t65534\t0\t1000\n"
      "Gid:\t65534\t100\t0\t65534\nFDSize:\t64\nGroups:\t4 24 100 \nNStgid:\t7\n"
      "CapInh:\t0000000000000000\nCapPrm:\t0000000000280000\nCapEff:\t0000000000080000\n");
  REQUIRE(c.ok);
  CHECK(c.ruid == 65534);
  CHECK(c.euid == 65534);
  CHECK(c.suid == 0);
  CHECK(c.fsuid == 1000);
  CHECK(c.rgid == 65534);
  CHECK(c.egid == 100);
  CHECK(c.sgid == 0);
  CHECK(c.fsgid == 65534);
  CHECK(c.groups == std::vector<gid_t>{4, 24, 100});
  CHECK(c.caps == 0x80000);
  CHECK(c.permitted == 0x280000);
  CHECK(c.has(19));
  CHECK_FALSE(c.has(21));
}

TEST_CASE("no supplementary groups, and unreadable texts") {
  const TaskCreds none = parse_task_creds(
      "Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nGroups:\t\nNStgid:\t1\nCapEff:\t000001ffffffffff\n");
  REQUIRE(none.ok);
  CHECK(none.groups.empty());
  CHECK(none.caps == 0x1ffffffffffULL);
  CHECK_FALSE(parse_task_creds("").ok);
  CHECK_FALSE(parse_task_creds("Uid:\t0\t0\t0\t0\nCapEff:\t0\n").ok);  // no Gid, no Groups
  CHECK_FALSE(parse_task_creds("Uid:\t0\t0\nGid:\t0\t0\t0\t0\nGroups:\nCapEff:\t0\n").ok);
  CHECK_FALSE(parse_task_creds("Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nGroups:\tx\nCapEff:\t0\n").ok);
}
