#!/usr/bin/env python3
"""PyTorch reference for the 784-100-10 Adam run of docs/RESULTS.md.

Same set-up as `stacknn train --arch 784-100-10 --activation ReLU --loss SoftmaxCrossEntropy
--optimizer Adam --lr 0.001 --batch 32 --epochs 5`: pixels / 255, PyTorch's default nn.Linear
initialisation, a fresh shuffle each epoch, batch-mean cross-entropy, one thread. Prints
`seed test_accuracy seconds` for the seeds given as arguments (default 1, 2, 3).

    bench/.venv/bin/python scripts/torch_mnist_reference.py [SEED ...]
"""
import sys, time
import numpy as np, torch
from mnist_torch import load
torch.set_num_threads(1)
xtr, ytr, xte, yte = load()
for seed in [int(a) for a in sys.argv[1:]] or [1,2,3]:
    torch.manual_seed(seed)
    net=torch.nn.Sequential(torch.nn.Linear(784,100),torch.nn.ReLU(),torch.nn.Linear(100,10))
    opt=torch.optim.Adam(net.parameters(),lr=1e-3)
    t=time.time()
    for ep in range(5):
        perm=torch.randperm(60000)
        for i in range(0,60000,32):
            b=perm[i:i+32]
            loss=torch.nn.functional.cross_entropy(net(xtr[b]),ytr[b])
            opt.zero_grad(); loss.backward(); opt.step()
    with torch.no_grad():
        acc=(net(xte).argmax(1)==yte).float().mean().item()
    print(seed, acc, time.time()-t, flush=True)
