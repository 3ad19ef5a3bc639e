"""Translates template.yaml with the SAM translator the way CloudFormation's
AWS::Serverless transform does, offline, and prints the plain CloudFormation JSON.

cfn-lint (1.x) and `sam validate --lint` check the SAM template against SAM's schema but do not
run the transform, so a template they accept can still fail at deploy time (a route naming an
authorizer the API does not define, say). test.sh lints this output as well.

Usage: python sam_translate.py TEMPLATE [PARAM=VALUE ...]
"""

import json
import os
import sys

from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse


class NoManagedPolicies:
    """The translator asks IAM for managed policy names only to resolve policies given by name;
    the template gives ARNs, so nothing needs looking up (and the check stays offline)."""

    def load(self):
        return {}


def main() -> int:
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    with open(sys.argv[1], encoding="utf-8") as f:
        # `sam build` replaces the local CodeUri with the artifact's S3 location; the
        # translator insists on one.
        template = yaml_parse(f.read().replace("CodeUri: .", "CodeUri: s3://artifacts/code.zip"))
    params = dict(arg.split("=", 1) for arg in sys.argv[2:])
    # CloudFormation hands a CommaDelimitedList's value to the transform as a list.
    for name, value in params.items():
        if template.get("Parameters", {}).get(name, {}).get("Type") == "CommaDelimitedList":
            params[name] = value.split(",")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    print(json.dumps(transform(template, params, NoManagedPolicies()), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
