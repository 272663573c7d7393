#!/usr/bin/env python3
"""PyTorch runs of seed 000's set-up, for docs/RESULTS.md ("Seed 000").

784-1000-1000-10, sigmoid cross-entropy on the logits (summed over the 10 outputs, averaged over
the batch, one-hot targets), batch 100, 20 epochs, pixels / 255, one thread, torch.manual_seed(1).
The variant (first argument) picks the hidden activation and extras, joined by '-':
  relu | sigmoid | tanh      hidden activation
  lecun                      Chainer's initialisation: W ~ N(0, 1/fan_in), b = 0
  drop                       dropout 0.5 after each hidden layer (Chainer 1's MNIST example)
  msgd                       momentum SGD (lr 0.01, 0.9) instead of Adam (1e-3)
Prints per epoch: the epoch's mean train loss, the running mean since the start of training,
the test loss and accuracy, and the elapsed seconds.

    bench/.venv/bin/python scripts/seed000_reference.py relu-lecun
"""
import sys, time
import numpy as np, torch
from mnist_torch import load
torch.set_num_threads(1)
xtr, ytr, xte, yte = load()
ttr=torch.nn.functional.one_hot(ytr,10).float(); tte=torch.nn.functional.one_hot(yte,10).float()
mode=sys.argv[1]; torch.manual_seed(1)
act={'relu':torch.nn.ReLU,'sigmoid':torch.nn.Sigmoid,'tanh':torch.nn.Tanh}[mode.split('-')[0]]
drop='drop' in mode
layers=[]
for i,o in [(784,1000),(1000,1000)]:
    layers += [torch.nn.Linear(i,o), act()] + ([torch.nn.Dropout(0.5)] if drop else [])
layers.append(torch.nn.Linear(1000,10))
net=torch.nn.Sequential(*layers)
if 'lecun' in mode:
    for m in net:
        if isinstance(m, torch.nn.Linear):
            torch.nn.init.normal_(m.weight, 0, (1/m.in_features)**0.5); torch.nn.init.zeros_(m.bias)
opt=torch.optim.Adam(net.parameters(),lr=1e-3) if 'msgd' not in mode else torch.optim.SGD(net.parameters(),lr=0.01,momentum=0.9)
def L(y,t): return torch.nn.functional.binary_cross_entropy_with_logits(y,t,reduction='sum')/len(y)
cum=0; n=0; t0=time.time()
for ep in range(1,21):
    net.train(); perm=torch.randperm(60000); s=0
    for i in range(0,60000,100):
        b=perm[i:i+100]; loss=L(net(xtr[b]),ttr[b])
        opt.zero_grad(); loss.backward(); opt.step(); s+=loss.item(); cum+=loss.item(); n+=1
    net.eval()
    with torch.no_grad():
        y=net(xte); tl=L(y,tte).item(); acc=(y.argmax(1)==yte).float().mean().item()
    print(mode, ep, 'train %.4f runmean %.4f test %.4f acc %.4f t %.0f'%(s/600, cum/n, tl, acc, time.time()-t0), flush=True)
