/**
 * Linkerd edge-26.8.3 control-plane chart defaults (charts/linkerd-control-plane/values.yaml), with
 * `linkerdVersion` and `debugContainer.image.version` set to the Linkerd release this injector follows, and the
 * struct-only proxy keys of pkg/charts/linkerd2/values.go (`isIngress`, `accessLog`, …) added so that they can be set.
 * Generated from the chart values; keep in sync by regenerating, not by hand.
 */
import type { Values } from "./types.js";

export const CHART_DEFAULTS: Values = {
  "clusterDomain": "cluster.local",
  "clusterNetworks": "10.0.0.0/8,100.64.0.0/10,172.16.0.0/12,192.168.0.0/16,fd00::/8",
  "imagePullPolicy": "IfNotPresent",
  "revisionHistoryLimit": 10,
  "controllerLogLevel": "info",
  "controllerLogFormat": "plain",
  "linkerdVersion": "edge-26.8.3",
  "deploymentStrategy": {
    "rollingUpdate": {
      "maxUnavailable": "25%",
      "maxSurge": "25%"
    }
  },
  "enableEndpointSlices": true,
  "enablePodAntiAffinity": false,
  "enablePprof": false,
  "enablePodDisruptionBudget": false,
  "disableIPv6": true,
  "controller": {
    "podDisruptionBudget": {
      "maxUnavailable": 1
    },
    "tracing": {
      "enabled": false,
      "collector": {
        "endpoint": ""
      }
    }
  },
  "cniEnabled": false,
  "identityTrustAnchorsPEM": "",
  "identityTrustDomain": "",
  "kubeAPI": {
    "clientQPS": 100,
    "clientBurst": 200
  },
  "podAnnotations": {},
  "podLabels": {},
  "commonLabels": {},
  "priorityClassName": "",
  "runtimeClassName": "",
  "policyController": {
    "logLevel": "info",
    "probeNetworks": [
      "0.0.0.0/0",
      "::/0"
    ],
    "resources": {
      "cpu": {
        "limit": "",
        "request": ""
      },
      "memory": {
        "limit": "",
        "request": ""
      },
      "ephemeral-storage": {
        "limit": "",
        "request": ""
      }
    },
    "livenessProbe": {
      "timeoutSeconds": 1
    },
    "readinessProbe": {
      "timeoutSeconds": 1
    }
  },
  "proxy": {
    "enableExternalProfiles": false,
    "outboundConnectTimeout": "1000ms",
    "inboundConnectTimeout": "100ms",
    "outboundDiscoveryCacheUnusedTimeout": "5s",
    "inboundDiscoveryCacheUnusedTimeout": "90s",
    "disableOutboundProtocolDetectTimeout": false,
    "disableInboundProtocolDetectTimeout": false,
    "image": {
      "name": "cr.l5d.io/linkerd/proxy",
      "pullPolicy": "",
      "version": ""
    },
    "enableShutdownEndpoint": false,
    "logLevel": "warn,linkerd=info,hickory=error",
    "logFormat": "plain",
    "logHTTPHeaders": "off",
    "ports": {
      "admin": 4191,
      "control": 4190,
      "inbound": 4143,
      "outbound": 4140
    },
    "cores": null,
    "runtime": {
      "workers": {
        "maximumCPURatio": null,
        "maximum": null,
        "minimum": 1
      }
    },
    "resources": {
      "cpu": {
        "limit": "",
        "request": ""
      },
      "memory": {
        "limit": "",
        "request": ""
      },
      "ephemeral-storage": {
        "limit": "",
        "request": ""
      }
    },
    "uid": 2102,
    "gid": -1,
    "securityContext": {},
    "waitBeforeExitSeconds": 0,
    "await": true,
    "requireIdentityOnInboundPorts": "",
    "opaquePorts": "25,587,3306,4444,5432,6379,9300,11211",
    "shutdownGracePeriod": "",
    "defaultInboundPolicy": "all-unauthenticated",
    "outboundTransportMode": "transport-header",
    "nativeSidecar": true,
    "livenessProbe": {
      "initialDelaySeconds": 10,
      "timeoutSeconds": 1
    },
    "readinessProbe": {
      "initialDelaySeconds": 2,
      "timeoutSeconds": 1
    },
    "startupProbe": {
      "initialDelaySeconds": 0,
      "periodSeconds": 1,
      "failureThreshold": 120
    },
    "control": {
      "streams": {
        "initialTimeout": "3s",
        "idleTimeout": "5m",
        "lifetime": "1h"
      }
    },
    "metrics": {
      "hostnameLabels": false
    },
    "tracing": {
      "enabled": false,
      "traceServiceName": "linkerd-proxy",
      "labels": {
        "k8s.pod.ip": "$(_pod_ip)",
        "k8s.pod.uid": "$(_pod_uid)",
        "k8s.container.name": "$(_pod_containerName)"
      },
      "collector": {
        "endpoint": "",
        "meshIdentity": {
          "serviceAccountName": "",
          "namespace": ""
        }
      }
    },
    "inbound": {
      "server": {
        "http2": {
          "keepAliveInterval": "10s",
          "keepAliveTimeout": "3s"
        }
      }
    },
    "outbound": {
      "server": {
        "http2": {
          "keepAliveInterval": "10s",
          "keepAliveTimeout": "3s"
        }
      }
    },
    "isIngress": false,
    "isGateway": false,
    "accessLog": "",
    "podInboundPorts": "",
    "additionalEnv": [],
    "experimentalEnv": []
  },
  "proxyInit": {
    "iptablesMode": "nft",
    "ignoreInboundPorts": "4567,4568",
    "ignoreOutboundPorts": "4567,4568",
    "kubeAPIServerPorts": "443,6443",
    "skipSubnets": "",
    "logLevel": "",
    "logFormat": "",
    "closeWaitTimeoutSecs": 0,
    "privileged": false,
    "runAsRoot": false,
    "runAsUser": 65534,
    "runAsGroup": 65534,
    "xtMountPath": {
      "mountPath": "/run",
      "name": "linkerd-proxy-init-xtables-lock"
    }
  },
  "networkValidator": {
    "logLevel": "debug",
    "logFormat": "plain",
    "connectAddr": "",
    "listenAddr": "",
    "timeout": "10s",
    "securityContext": {
      "allowPrivilegeEscalation": false,
      "capabilities": {
        "drop": [
          "ALL"
        ]
      },
      "readOnlyRootFilesystem": true,
      "runAsGroup": 65534,
      "runAsNonRoot": true,
      "runAsUser": 65534,
      "seccompProfile": {
        "type": "RuntimeDefault"
      }
    }
  },
  "imagePullSecrets": [],
  "enableH2Upgrade": true,
  "enablePSP": false,
  "webhookFailurePolicy": "Ignore",
  "controllerImage": "cr.l5d.io/linkerd/controller",
  "controllerImageVersion": "",
  "controllerReplicas": 1,
  "controllerUID": 2103,
  "controllerGID": -1,
  "destinationController": {
    "meshedHttp2ClientProtobuf": {
      "keep_alive": {
        "interval": {
          "seconds": 10
        },
        "timeout": {
          "seconds": 3
        },
        "while_idle": true
      }
    },
    "podAnnotations": {},
    "livenessProbe": {
      "timeoutSeconds": 1
    },
    "readinessProbe": {
      "timeoutSeconds": 1
    }
  },
  "debugContainer": {
    "image": {
      "name": "cr.l5d.io/linkerd/debug",
      "pullPolicy": "",
      "version": "edge-26.8.3"
    }
  },
  "identity": {
    "externalCA": false,
    "serviceAccountTokenProjection": true,
    "issuer": {
      "scheme": "linkerd.io/tls",
      "clockSkewAllowance": "20s",
      "issuanceLifetime": "24h0m0s",
      "tls": {
        "crtPEM": "",
        "keyPEM": ""
      }
    },
    "kubeAPI": {
      "clientQPS": 100,
      "clientBurst": 200
    },
    "podAnnotations": {},
    "livenessProbe": {
      "timeoutSeconds": 1
    },
    "readinessProbe": {
      "timeoutSeconds": 1
    }
  },
  "disableHeartBeat": false,
  "proxyInjector": {
    "timeoutSeconds": 10,
    "externalSecret": false,
    "namespaceSelector": {
      "matchExpressions": [
        {
          "key": "config.linkerd.io/admission-webhooks",
          "operator": "NotIn",
          "values": [
            "disabled"
          ]
        },
        {
          "key": "kubernetes.io/metadata.name",
          "operator": "NotIn",
          "values": [
            "kube-system",
            "cert-manager"
          ]
        }
      ]
    },
    "objectSelector": {
      "matchExpressions": [
        {
          "key": "linkerd.io/control-plane-component",
          "operator": "DoesNotExist"
        },
        {
          "key": "linkerd.io/cni-resource",
          "operator": "DoesNotExist"
        }
      ]
    },
    "crtPEM": "",
    "keyPEM": "",
    "caBundle": "",
    "injectCaFrom": "",
    "injectCaFromSecret": "",
    "podAnnotations": {},
    "livenessProbe": {
      "timeoutSeconds": 1
    },
    "readinessProbe": {
      "timeoutSeconds": 1
    }
  },
  "profileValidator": {
    "externalSecret": false,
    "namespaceSelector": {
      "matchExpressions": [
        {
          "key": "config.linkerd.io/admission-webhooks",
          "operator": "NotIn",
          "values": [
            "disabled"
          ]
        }
      ]
    },
    "crtPEM": "",
    "keyPEM": "",
    "caBundle": "",
    "injectCaFrom": "",
    "injectCaFromSecret": ""
  },
  "policyValidator": {
    "externalSecret": false,
    "namespaceSelector": {
      "matchExpressions": [
        {
          "key": "config.linkerd.io/admission-webhooks",
          "operator": "NotIn",
          "values": [
            "disabled"
          ]
        }
      ]
    },
    "crtPEM": "",
    "keyPEM": "",
    "caBundle": "",
    "injectCaFrom": "",
    "injectCaFromSecret": ""
  },
  "nodeSelector": {
    "kubernetes.io/os": "linux"
  },
  "spValidator": {
    "livenessProbe": {
      "timeoutSeconds": 1
    },
    "readinessProbe": {
      "timeoutSeconds": 1
    }
  },
  "prometheusUrl": "",
  "podMonitor": {
    "enabled": false,
    "scrapeInterval": "10s",
    "scrapeTimeout": "10s",
    "labels": {},
    "controller": {
      "enabled": true,
      "namespaceSelector": "matchNames:\n  - {{ .Release.Namespace }}\n  - linkerd-viz\n",
      "honorTimestamps": false
    },
    "serviceMirror": {
      "enabled": true,
      "honorTimestamps": false
    },
    "proxy": {
      "enabled": true,
      "honorTimestamps": false
    }
  },
  "egress": {
    "globalEgressNetworkNamespace": "linkerd-egress"
  },
  "configReaders": null
};
